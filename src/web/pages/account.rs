use actix_web::HttpResponse;
use askama::Template;

use crate::store::from_json_list;
use crate::web::csrf::CsrfToken;
use crate::web::errors::PageError;
use crate::web::extract::MaybeUser;
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage<'a> {
    csrf: &'a str,
    email: &'a str,
    email_verified: bool,
    signed_in_at: String,
    methods: String,
}

pub async fn account_page(user: MaybeUser, csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other("/login?next=/account"));
    };
    let methods = from_json_list(&signed_in.session.amr)
        .iter()
        .map(|m| match m.as_str() {
            "pwd" => "password",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok(respond::ok_page(&AccountPage {
        csrf: &csrf.0,
        email: &signed_in.user.email,
        email_verified: signed_in.user.email_verified,
        signed_in_at: signed_in
            .session
            .auth_time
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        methods,
    })?)
}
