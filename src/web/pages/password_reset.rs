use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::MessagePage;
use crate::domain::{Email, NewPassword};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/forgot_password.html")]
struct ForgotPasswordPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

pub async fn forgot_password_page(csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    Ok(respond::ok_page(&ForgotPasswordPage {
        csrf: &csrf.0,
        email: "",
        error: None,
    })?)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_password_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ForgotForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let error = crate::web::refusals::email(error);
            let page = ForgotPasswordPage {
                csrf: &csrf.0,
                email: form.email.trim(),
                error: Some(&error),
            };
            return Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?);
        }
    };
    crate::auth::password_reset::request(&state, &email, &meta).await?;
    Ok(respond::ok_page(&MessagePage {
        title: &crate::i18n::t("msg-check-your-email"),
        message: &crate::i18n::tn(
            "msg-reset-link-sent",
            "minutes",
            state.settings.tokens.password_reset_ttl_minutes,
        ),
        link_href: "/login",
        link_label: &crate::i18n::t("msg-back-to-sign-in"),
    })?)
}

#[derive(Template)]
#[template(path = "pages/reset_password.html")]
struct ResetPasswordPage<'a> {
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn unusable_link(message: &str) -> Result<HttpResponse, AppError> {
    respond::html(
        StatusCode::BAD_REQUEST,
        &MessagePage {
            title: &crate::i18n::t("msg-this-link-cannot-be-used"),
            message: &crate::i18n::t1(
                "msg-link-ask-for-a-new-one",
                "problem",
                crate::i18n::refusal(message),
            ),
            link_href: "/forgot-password",
            link_label: &crate::i18n::t("msg-get-a-new-link"),
        },
    )
}

pub async fn reset_password_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    match crate::auth::password_reset::check(&state, &query.token).await {
        Ok(()) => Ok(respond::ok_page(&ResetPasswordPage {
            csrf: &csrf.0,
            token: &query.token,
            error: None,
        })?),
        Err(AppError::Invalid { message, .. }) => Ok(unusable_link(&message)?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_password_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ResetForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let password = match NewPassword::parse(form.password) {
        Ok(password) => password,
        Err(error) => {
            let error = crate::web::refusals::password(error);
            let page = ResetPasswordPage {
                csrf: &csrf.0,
                token: &form.token,
                error: Some(&error),
            };
            return Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?);
        }
    };
    match crate::auth::password_reset::reset(&state, &form.token, password, &meta).await {
        Ok(()) => Ok(respond::ok_page(&MessagePage {
            title: &crate::i18n::t("msg-password-changed"),
            message: &crate::i18n::t("msg-your-password-has-been-reset-and"),
            link_href: "/login",
            link_label: &crate::i18n::t("msg-sign-in"),
        })?),
        Err(AppError::Invalid { message, .. }) => Ok(unusable_link(&message)?),
        Err(e) => Err(e.into()),
    }
}
