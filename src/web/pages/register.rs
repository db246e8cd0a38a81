use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::MessagePage;
use super::providers::{ProviderLink, links_for};
use crate::domain::{Email, NewPassword};
use crate::oidc::sign_in_context::{self, SignInContext};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/register.html")]
struct RegisterPage<'a> {
    csrf: &'a str,
    email: &'a str,
    email_error: Option<&'a str>,
    password_error: Option<&'a str>,
    /// "Continue with …": an account can be made with a provider too (platform defaults).
    providers: Vec<ProviderLink>,
    /// Where sign-in goes once the account is verified (a relying app's request).
    next: &'a str,
    context: SignInContext,
}

#[derive(Deserialize)]
pub struct RegisterQuery {
    next: Option<String>,
}

pub async fn register_page(
    state: web::Data<AppState>,
    query: web::Query<RegisterQuery>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(query.next.as_deref());
    let context = sign_in_context::for_next(&state, next, false, &meta).await;
    if context.sign_up_closed() {
        return invitation_only(&context, next);
    }
    Ok(respond::ok_page(&RegisterPage {
        csrf: &csrf.0,
        email: "",
        email_error: None,
        password_error: None,
        providers: links_for(&state, next, &meta).await,
        next,
        context,
    })?)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn register_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RegisterForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(form.next.as_deref());
    let context = sign_in_context::for_next(&state, next, false, &meta).await;
    if context.sign_up_closed() {
        return invitation_only(&context, next);
    }
    let email = Email::parse(&form.email);
    let password = NewPassword::parse(form.password);
    let (email, password) = match (email, password) {
        (Ok(email), Ok(password)) => (email, password),
        (email, password) => {
            let email_error = email.err().map(crate::web::refusals::email);
            let password_error = password.err().map(crate::web::refusals::password);
            let page = RegisterPage {
                csrf: &csrf.0,
                email: form.email.trim(),
                email_error: email_error.as_deref(),
                password_error: password_error.as_deref(),
                providers: links_for(&state, next, &meta).await,
                next,
                context,
            };
            return Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?);
        }
    };
    // The same answer whether or not the address already has an account.
    crate::auth::registration::register(&state, &email, password, &meta).await?;
    Ok(respond::ok_page(&MessagePage {
        title: &crate::i18n::t("msg-check-your-email"),
        message: &crate::i18n::t("msg-we-sent-a-verification-link-to"),
        link_href: &format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        link_label: &crate::i18n::t("msg-go-to-sign-in"),
    })?)
}

/// The organization of the service being signed in to takes members by invitation only
/// (`sign_up_policy` `invite_only`): no account is made here.
fn invitation_only(context: &SignInContext, next: &str) -> Result<HttpResponse, PageError> {
    let message = match context.service.as_ref() {
        Some(service) => crate::i18n::t1("msg-invitation-only", "org", &service.org),
        None => crate::i18n::t("msg-invitation-only-unnamed"),
    };
    let page = MessagePage {
        title: &crate::i18n::t("msg-invitation-required"),
        message: &message,
        link_href: &format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        link_label: &crate::i18n::t("msg-go-to-sign-in"),
    };
    Ok(respond::html(StatusCode::FORBIDDEN, &page)?)
}
