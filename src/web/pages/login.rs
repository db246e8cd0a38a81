use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta};
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    email: &'a str,
    next: &'a str,
    error: Option<String>,
    unverified: bool,
    /// Offer "Sign in with a passkey" (needs a host-name issuer and JavaScript).
    passkeys: bool,
    /// "Continue with …" links (federation), plain links that work without JavaScript.
    providers: Vec<crate::web::pages::providers::ProviderLink>,
}

/// The sign-in page again, with an error (used by the passkey sign-in too).
pub fn login_error_page(
    state: &AppState,
    csrf: &str,
    next: &str,
    status: StatusCode,
    error: String,
) -> Result<HttpResponse, AppError> {
    respond::html(
        status,
        &LoginPage {
            csrf,
            email: "",
            next,
            error: Some(error),
            unverified: false,
            passkeys: state.webauthn.is_some(),
            providers: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    login_hint: Option<String>,
    /// Set when a relying app requires a fresh sign-in (`prompt=login`, `max_age`).
    again: Option<String>,
}

pub async fn login_page(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
    csrf: CsrfToken,
    user: MaybeUser,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(query.next.as_deref());
    if user.0.is_some() && query.again.is_none() {
        return Ok(respond::see_other(next));
    }
    let email = query.login_hint.as_deref().unwrap_or("");
    Ok(respond::ok_page(&LoginPage {
        csrf: &csrf.0,
        email,
        next,
        error: None,
        unverified: false,
        passkeys: state.webauthn.is_some(),
        providers: crate::web::pages::providers::links_for(&state, next, &meta).await,
    })?)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(form.next.as_deref());
    let password = SecretString::from(form.password);
    let providers = crate::web::pages::providers::links_for(&state, next, &meta).await;
    let rerender = |status, error: String, unverified| {
        respond::html(
            status,
            &LoginPage {
                csrf: &csrf.0,
                email: form.email.trim(),
                next,
                error: Some(error),
                unverified,
                passkeys: state.webauthn.is_some(),
                providers,
            },
        )
    };
    match crate::auth::login::authenticate_password(&state, &form.email, password, &meta).await {
        Ok(user) => Ok(crate::web::pages::mfa::continue_after_first_factor(
            &state,
            &user,
            vec!["pwd".to_owned()],
            next,
            &meta,
        )
        .await?),
        Err(AppError::Forbidden {
            code: ErrorCode::EmailNotVerified,
            message,
        }) => Ok(rerender(StatusCode::FORBIDDEN, message.into_owned(), true)?),
        Err(e @ (AppError::Unauthorized { .. } | AppError::Forbidden { .. })) => {
            let status = if matches!(e, AppError::Forbidden { .. }) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            Ok(rerender(status, e.to_string(), false)?)
        }
        Err(e) => Err(e.into()),
    }
}
