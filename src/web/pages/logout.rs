use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::MessagePage;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta};
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/logout.html")]
struct LogoutPage<'a> {
    csrf: &'a str,
}

/// GET asks for confirmation: signing out changes state, so it needs a CSRF-checked POST.
pub async fn logout_page(csrf: CsrfToken, user: MaybeUser) -> Result<HttpResponse, PageError> {
    if user.0.is_none() {
        return Ok(signed_out_page()?);
    }
    Ok(respond::ok_page(&LogoutPage { csrf: &csrf.0 })?)
}

#[derive(Deserialize)]
pub struct LogoutForm {}

pub async fn logout_submit(
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<LogoutForm>,
    user: MaybeUser,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    if let Some(signed_in) = user.0 {
        crate::auth::sessions::end(&state, &signed_in.session, &meta).await?;
    }
    let mut response = signed_out_page()?;
    response
        .add_cookie(&respond::clear_session_cookie(&state))
        .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(response)
}

fn signed_out_page() -> Result<HttpResponse, AppError> {
    respond::ok_page(&MessagePage {
        title: &crate::i18n::t("msg-you-are-signed-out"),
        message: &crate::i18n::t1("msg-signed-out-of", "brand", crate::i18n::site_name()),
        link_href: "/login",
        link_label: &crate::i18n::t("msg-sign-in-again"),
    })
}
