//! `/setup?token=…`: the first-run page that creates the first platform owner and signs them
//! in to the console (the logic is `admin::setup`). Once an owner exists it answers 404.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::admin::setup::{self, FirstOwner, LinkStatus};
use crate::domain::{Email, NewPassword};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

/// Where the new owner lands.
const CONSOLE: &str = "/admin";

#[derive(Template)]
#[template(path = "pages/setup.html")]
struct SetupPage<'a> {
    csrf: &'a str,
    token: &'a str,
    email: &'a str,
    email_error: Option<&'a str>,
    password_error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "pages/setup_link_invalid.html")]
struct LinkInvalidPage;

#[derive(Template)]
#[template(path = "pages/setup_done.html")]
struct AlreadySetUpPage;

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

pub async fn setup_page(
    state: web::Data<AppState>,
    query: web::Query<SetupQuery>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    if let Some(refused) = refusal(setup::check_link(&state, &query.token).await?) {
        return refused;
    }
    Ok(respond::ok_page(&SetupPage {
        csrf: &csrf.0,
        token: &query.token,
        email: "",
        email_error: None,
        password_error: None,
    })?)
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn setup_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SetupForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    state.limits.check_request(meta.ip).await?;
    let retry = |email_error, password_error| SetupPage {
        csrf: &csrf.0,
        token: &form.token,
        email: form.email.trim(),
        email_error,
        password_error,
    };
    // The registration rules: the same address parsing and password policy.
    let (email, password) = match (
        Email::parse(&form.email),
        NewPassword::parse(form.password.clone()),
    ) {
        (Ok(email), Ok(password)) => (email, password),
        (email, password) => {
            // A bad link is said first: fixing the fields would not help.
            if let Some(refused) = refusal(setup::check_link(&state, &form.token).await?) {
                return refused;
            }
            let email_error = email.err().map(crate::web::refusals::email);
            let password_error = password.err().map(crate::web::refusals::password);
            let page = retry(email_error.as_deref(), password_error.as_deref());
            return Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?);
        }
    };
    match setup::create_first_owner(&state, &meta, &form.token, &email, password).await? {
        FirstOwner::Created(user) => {
            let amr = ["pwd".to_owned()];
            let started = crate::auth::sessions::start(&state, &user, &amr, &meta).await?;
            Ok(respond::signed_in(&state, CONSOLE, started)?)
        }
        FirstOwner::LinkInvalid => link_invalid(),
        FirstOwner::OwnerExists => already_set_up(),
        FirstOwner::EmailTaken => Ok(respond::html(
            StatusCode::CONFLICT,
            &retry(Some(crate::i18n::t("setup-email-taken").as_str()), None),
        )?),
    }
}

/// The page for a link that does not open the form, if it does not.
fn refusal(status: LinkStatus) -> Option<Result<HttpResponse, PageError>> {
    match status {
        LinkStatus::Valid => None,
        LinkStatus::Invalid => Some(link_invalid()),
        LinkStatus::OwnerExists => Some(already_set_up()),
    }
}

/// Wrong, used or replaced: says why and where the current link is, creates nothing.
fn link_invalid() -> Result<HttpResponse, PageError> {
    Ok(respond::html(StatusCode::BAD_REQUEST, &LinkInvalidPage)?)
}

/// Once an owner exists the route is gone (404), with a pointer to sign-in.
fn already_set_up() -> Result<HttpResponse, PageError> {
    Ok(respond::html(StatusCode::NOT_FOUND, &AlreadySetUpPage)?)
}
