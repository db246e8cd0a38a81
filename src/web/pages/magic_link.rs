//! `/magic-link`: request a sign-in link; `/magic-link/verify`: a GET shows a button (so mail
//! scanners that open links cannot use them), the POST signs in.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::MessagePage;
use crate::domain::Email;
use crate::error::AppError;
use crate::oidc::sign_in_context::{self, SignInContext};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/magic_link.html")]
struct MagicLinkPage<'a> {
    csrf: &'a str,
    email: &'a str,
    next: &'a str,
    error: Option<&'a str>,
    context: SignInContext,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    next: Option<String>,
    login_hint: Option<String>,
}

pub async fn magic_link_page(
    state: web::Data<AppState>,
    query: web::Query<RequestQuery>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(query.next.as_deref());
    let email = query.login_hint.as_deref().unwrap_or("");
    Ok(respond::ok_page(&MagicLinkPage {
        csrf: &csrf.0,
        email,
        next,
        error: None,
        context: sign_in_context::for_next(&state, next, false, &meta).await,
    })?)
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
    next: Option<String>,
}

pub async fn magic_link_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RequestForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(form.next.as_deref());
    let context = sign_in_context::for_next(&state, next, false, &meta).await;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let error = crate::web::refusals::email(error);
            let page = MagicLinkPage {
                csrf: &csrf.0,
                email: form.email.trim(),
                next,
                error: Some(&error),
                context,
            };
            return Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?);
        }
    };
    let label = context.mail_label(&state.settings.branding.name);
    let brand = Some(&context.brand);
    let sign_up_open = !context.sign_up_closed();
    crate::auth::magic_link::request(
        &state,
        &email,
        Some(next),
        &label,
        brand,
        sign_up_open,
        &meta,
    )
    .await?;
    Ok(respond::ok_page(&MessagePage {
        title: &crate::i18n::t("msg-check-your-email"),
        message: &crate::i18n::tn(
            "msg-magic-link-sent",
            "minutes",
            state.settings.magic_link.ttl_minutes,
        ),
        link_href: "/login",
        link_label: &crate::i18n::t("msg-back-to-sign-in"),
    })?)
}

#[derive(Template)]
#[template(path = "pages/magic_link_verify.html")]
struct VerifyPage<'a> {
    csrf: &'a str,
    token: &'a str,
    email: &'a str,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn unusable() -> Result<HttpResponse, AppError> {
    respond::html(
        StatusCode::BAD_REQUEST,
        &MessagePage {
            title: &crate::i18n::t("msg-this-link-cannot-be-used"),
            message: &crate::i18n::t("msg-this-sign-in-link-is-invalid"),
            link_href: "/magic-link",
            link_label: &crate::i18n::t("msg-email-me-a-new-link"),
        },
    )
}

pub async fn verify_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    match crate::auth::magic_link::check(&state, &query.token).await {
        Ok(email) => Ok(respond::ok_page(&VerifyPage {
            csrf: &csrf.0,
            token: &query.token,
            email: &email,
        })?),
        Err(AppError::Invalid { .. }) => Ok(unusable()?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    token: String,
}

pub async fn verify_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<VerifyForm>,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    match crate::auth::magic_link::redeem(&state, &form.token, &meta).await {
        Ok((user, next)) => {
            let next = respond::safe_next(next.as_deref()).to_owned();
            Ok(super::mfa::continue_after_first_factor(
                &state,
                &user,
                vec!["otp".to_owned()],
                &next,
                &meta,
            )
            .await?)
        }
        Err(AppError::Invalid { .. }) => Ok(unusable()?),
        Err(e) => Err(e.into()),
    }
}
