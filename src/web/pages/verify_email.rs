use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::MessagePage;
use secrecy::SecretString;

use crate::auth::email_verification::{PasswordProof, Verification, Verified};
use crate::domain::Email;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

/// GET shows a button; only the POST consumes the token, so mail scanners that open links
/// cannot use it up.
#[derive(Template)]
#[template(path = "pages/verify_email.html")]
struct VerifyEmailPage<'a> {
    csrf: &'a str,
    token: &'a str,
    /// Several sign-ups compete for the address: the password chosen at sign-up is asked.
    ask_password: bool,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn verify_email_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    if query.token.is_empty() {
        return Err(AppError::invalid(
            "This verification link is incomplete. Open the link from the email again.",
        )
        .into());
    }
    // A made-up, used or expired link gets no button that could only fail.
    if let Some(problem) = crate::auth::email_verification::check(&state, &query.token).await? {
        use crate::auth::email_verification::LinkProblem;
        let message = crate::i18n::t(match problem {
            LinkProblem::Unknown => "msg-verification-link-unknown",
            LinkProblem::Used => "msg-verification-link-used",
            LinkProblem::Expired => "msg-verification-link-expired",
        });
        return Ok(respond::html(
            StatusCode::BAD_REQUEST,
            &MessagePage {
                title: &crate::i18n::t("msg-this-link-cannot-be-used"),
                message: &message,
                link_href: "/login",
                link_label: &crate::i18n::t("msg-go-to-sign-in"),
            },
        )?);
    }
    Ok(respond::ok_page(&VerifyEmailPage {
        csrf: &csrf.0,
        token: &query.token,
        ask_password: false,
    })?)
}

/// What a used verification link shows (the hosted form and the seed's consuming GET).
pub fn verified_page(verified: &Verified) -> Result<HttpResponse, AppError> {
    use crate::i18n::t;
    let (message, link_href, link_label) = if verified.password_withheld {
        (
            "msg-your-email-address-is-verified-more",
            "/forgot-password",
            "msg-choose-a-password",
        )
    } else {
        (
            "msg-your-email-address-is-verified-you",
            "/login",
            "msg-sign-in",
        )
    };
    respond::ok_page(&MessagePage {
        title: &t("msg-email-verified"),
        message: &t(message),
        link_href,
        link_label: &t(link_label),
    })
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    token: String,
    /// Present once the page asked for it (competing sign-ups).
    password: Option<String>,
}

pub async fn verify_email_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<VerifyForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let proof = match form.password {
        Some(typed) => PasswordProof::Given(SecretString::from(typed)),
        None => PasswordProof::AskIfContested,
    };
    match crate::auth::email_verification::verify(&state, &form.token, proof, &meta).await {
        Ok(Verification::Verified(verified)) => Ok(verified_page(&verified)?),
        Ok(Verification::PasswordNeeded) => Ok(respond::ok_page(&VerifyEmailPage {
            csrf: &csrf.0,
            token: &form.token,
            ask_password: true,
        })?),
        Err(AppError::Invalid { message, .. }) => Ok(respond::html(
            StatusCode::BAD_REQUEST,
            &MessagePage {
                title: &crate::i18n::t("msg-this-link-cannot-be-used"),
                message: &crate::i18n::t1(
                    "msg-verification-sign-in-for-a-new-link",
                    "problem",
                    crate::i18n::refusal(&message),
                ),
                link_href: "/login",
                link_label: &crate::i18n::t("msg-go-to-sign-in"),
            },
        )?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    email: String,
}

pub async fn resend_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ResendForm>,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    if let Ok(email) = Email::parse(&form.email) {
        crate::auth::email_verification::resend(&state, &email, &meta).await?;
    }
    Ok(respond::ok_page(&MessagePage {
        title: &crate::i18n::t("msg-check-your-email"),
        message: &crate::i18n::t("msg-if-that-account-is-waiting-for"),
        link_href: "/login",
        link_label: &crate::i18n::t("msg-back-to-sign-in"),
    })?)
}
