//! The device verification page (RFC 8628 §3.3): enter the code, sign in, then approve or deny.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::MessagePage;
use crate::domain::{RequestMeta, UserCode};
use crate::oidc::device::{self, Decision, UserCodeError};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta, SignedIn};
use crate::web::oidc::authorize::describe_scopes;
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/device.html")]
struct DevicePage<'a> {
    csrf: &'a str,
    user_code: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "pages/device_confirm.html")]
struct DeviceConfirmPage<'a> {
    csrf: &'a str,
    user_code: &'a str,
    service: &'a str,
    email: &'a str,
    scopes: Vec<String>,
    /// The organization's branding in the header.
    context: crate::oidc::sign_in_context::SignInContext,
}

#[derive(Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

/// `GET /device`, or `GET /device?user_code=…` from `verification_uri_complete`.
pub async fn device_page(
    query: web::Query<DeviceQuery>,
    state: web::Data<AppState>,
    user: MaybeUser,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    match query.user_code.as_deref().filter(|c| !c.trim().is_empty()) {
        None => Ok(respond::ok_page(&DevicePage {
            csrf: &csrf.0,
            user_code: "",
            error: None,
        })?),
        Some(raw) => show(&state, raw, user.0.as_ref(), &csrf, &meta).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    user_code: String,
}

/// `POST /device`: the code typed by the person.
pub async fn device_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
    user: MaybeUser,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    show(&state, &form.user_code, user.0.as_ref(), &csrf, &meta).await
}

/// The confirmation for a signed-in person; otherwise sign-in first, then back here. The code
/// is checked before sign-in, so a mistyped code is reported at once.
async fn show(
    state: &AppState,
    raw: &str,
    user: Option<&SignedIn>,
    csrf: &CsrfToken,
    meta: &RequestMeta,
) -> Result<HttpResponse, PageError> {
    let found = match user {
        Some(s) => device::for_decision(state, raw, &s.session, &s.user, meta).await,
        None => device::find_pending(state, raw, meta).await,
    };
    let pending = match found {
        Ok(pending) => pending,
        Err(e) => return refused(e, raw, csrf),
    };
    let Some(signed_in) = user else {
        return Ok(respond::see_other(&login_path(&pending.user_code, false)));
    };
    let context = crate::oidc::sign_in_context::for_client(state, &pending.client).await;
    Ok(respond::ok_page(&DeviceConfirmPage {
        context,
        csrf: &csrf.0,
        user_code: &pending.user_code.display(),
        service: &pending.client.service.name,
        email: &signed_in.user.email,
        scopes: describe_scopes(&pending.scope),
    })?)
}

/// `/login?next=/device?user_code=…`; `again` asks for a fresh sign-in (second factor).
fn login_path(user_code: &UserCode, again: bool) -> String {
    let next = format!("/device?user_code={}", user_code.display());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", &next);
    if again {
        query.append_pair("again", "1");
    }
    format!("/login?{}", query.finish())
}

/// The entry page again with what went wrong; rate limits and failures become error pages.
fn refused(e: UserCodeError, raw: &str, csrf: &CsrfToken) -> Result<HttpResponse, PageError> {
    let message = crate::i18n::t(match e {
        UserCodeError::Failed(e) => return Err(e.into()),
        UserCodeError::FreshSignInRequired => {
            let Some(code) = UserCode::parse(raw) else {
                return Err(crate::error::AppError::invalid("Invalid user code").into());
            };
            return Ok(respond::see_other(&login_path(&code, true)));
        }
        UserCodeError::Invalid => "device-code-invalid",
        UserCodeError::Expired => "device-code-expired",
        UserCodeError::AlreadyAuthorized => "device-code-used",
        UserCodeError::Denied => "device-code-denied",
    });
    let shown: String = raw.chars().take(16).collect();
    Ok(respond::html(
        StatusCode::BAD_REQUEST,
        &DevicePage {
            csrf: &csrf.0,
            user_code: shown.trim(),
            error: Some(&message),
        },
    )?)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    user_code: String,
    #[serde(default)]
    decision: String,
}

/// `POST /device/confirm`: Approve or Deny.
pub async fn confirm_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<DecisionForm>,
    user: MaybeUser,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return match UserCode::parse(&form.user_code) {
            Some(code) => Ok(respond::see_other(&login_path(&code, false))),
            None => Ok(respond::see_other("/device")),
        };
    };
    let decision = if form.decision == "approve" {
        Decision::Approve
    } else {
        Decision::Deny
    };
    let (session, user) = (&signed_in.session, &signed_in.user);
    match device::decide(&state, &form.user_code, decision, session, user, &meta).await {
        Ok(pending) => {
            let service = &pending.client.service.name;
            let (title, message) = match decision {
                Decision::Approve => ("device-connected", "device-connected-message"),
                Decision::Deny => ("device-denied", "device-denied-message"),
            };
            Ok(respond::ok_page(&MessagePage {
                title: &crate::i18n::t(title),
                message: &crate::i18n::t1(message, "service", service),
                link_href: "/account",
                link_label: &crate::i18n::t("msg-go-to-your-account"),
            })?)
        }
        Err(e) => refused(e, &form.user_code, &csrf),
    }
}
