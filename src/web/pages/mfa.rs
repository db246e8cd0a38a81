//! The second step of sign-in (`/login/mfa`) and enrolment forced by policy (`/login/mfa/enrol`).
//! The login ticket travels in an HttpOnly cookie, so it is bound to this browser.
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::security::{BackupCodesPage, EnrolPage};
use crate::auth::mfa::{self, FirstFactor, PURPOSE_EMAIL_CODE, PURPOSE_ENROL, PURPOSE_MFA};
use crate::auth::totp::EnrolmentOwner;
use crate::error::AppError;
use crate::oidc::sign_in_context::{self, SignInContext};
use crate::state::AppState;
use crate::store::users::User;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

pub const TICKET_COOKIE: &str = "gh_mfa";

fn ticket_cookie(state: &AppState, value: String, minutes: i64) -> Cookie<'static> {
    Cookie::build(TICKET_COOKIE, value)
        .path("/login")
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(minutes))
        .finish()
}

/// After the first factor: a session, or on to the second factor / emailed code / enrolment.
pub async fn continue_after_first_factor(
    state: &AppState,
    user: &User,
    amr: Vec<String>,
    next: &str,
    meta: &crate::domain::RequestMeta,
) -> Result<HttpResponse, AppError> {
    let step =
        mfa::after_first_factor(state, user, amr, Some(next), None, meta, mfa::StepUp::Offer)
            .await?;
    continue_with(state, user, step, next, meta, false).await
}

/// Answers one step of a browser sign-in: the session, or the page of the step that is due
/// (`ends_ticket`: the step came from a ticket, whose cookie is cleared with the session).
async fn continue_with(
    state: &AppState,
    user: &User,
    step: FirstFactor,
    next: &str,
    meta: &crate::domain::RequestMeta,
    ends_ticket: bool,
) -> Result<HttpResponse, AppError> {
    let (location, ticket) = match step {
        FirstFactor::Complete(amr) => {
            let started = crate::auth::sessions::start(state, user, &amr, meta).await?;
            let mut response = respond::signed_in(state, next, started)?;
            if ends_ticket {
                clear_ticket(state, &mut response)?;
            }
            return Ok(response);
        }
        FirstFactor::SecondFactorDue { ticket } => ("/login/mfa", ticket),
        FirstFactor::EmailCodeDue { ticket } => ("/login/code", ticket),
        FirstFactor::EnrolmentDue { ticket } => ("/login/mfa/enrol", ticket),
    };
    let mut response = respond::see_other(location);
    response
        .add_cookie(&ticket_cookie(
            state,
            ticket,
            crate::auth::step_up::CODE_MINUTES,
        ))
        .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(response)
}

fn clear_ticket(state: &AppState, response: &mut HttpResponse) -> Result<(), AppError> {
    response
        .add_cookie(&ticket_cookie(state, String::new(), 0))
        .map_err(|e| AppError::Unexpected(e.into()))
}

/// The live ticket this browser carries in its cookie (JSON pre-auth tickets are not accepted
/// here), with its user.
async fn ticket_in(
    req: &HttpRequest,
    state: &AppState,
    purpose: &str,
) -> Option<(crate::store::login_tickets::LoginTicket, User)> {
    let token = req
        .cookie(TICKET_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())?;
    mfa::load_ticket(state, &token, purpose)
        .await
        .ok()
        .filter(|(ticket, _)| ticket.client_id.is_none())
}

/// No (live) ticket in this browser: back to the sign-in page.
fn restart() -> HttpResponse {
    respond::see_other("/login")
}

#[derive(Template)]
#[template(path = "pages/mfa.html")]
struct MfaPage<'a> {
    csrf: &'a str,
    /// A wrong authenticator-app code, shown at its field.
    error: Option<String>,
    /// A wrong backup code, shown at the backup-code field (its section stays open).
    backup_error: Option<String>,
    context: SignInContext,
}

/// The service the sign-in of `ticket` continues to.
async fn context_of(
    state: &AppState,
    ticket: &crate::store::login_tickets::LoginTicket,
    meta: &crate::domain::RequestMeta,
) -> SignInContext {
    let next = respond::safe_next(ticket.next_path.as_deref());
    sign_in_context::for_next(state, next, false, meta).await
}

/// The form of a step for a browser that carries a live ticket of `purpose`; others start over.
async fn step_page(
    req: &HttpRequest,
    state: &AppState,
    purpose: &str,
    page: &impl Template,
) -> Result<HttpResponse, PageError> {
    if ticket_in(req, state, purpose).await.is_none() {
        return Ok(restart());
    }
    Ok(respond::ok_page(page)?)
}

pub async fn mfa_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some((ticket, _)) = ticket_in(&req, &state, PURPOSE_MFA).await else {
        return Ok(restart());
    };
    Ok(respond::ok_page(&MfaPage {
        csrf: &csrf.0,
        error: None,
        backup_error: None,
        context: context_of(&state, &ticket, &meta).await,
    })?)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    /// Set by the backup-code form, so its error is shown at its own field.
    backup: Option<String>,
}

pub async fn mfa_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some((ticket, user)) = ticket_in(&req, &state, PURPOSE_MFA).await else {
        return Ok(restart());
    };
    match mfa::verify_second_factor(&state, &ticket, &user, &form.code, &meta).await {
        Ok(amr) => {
            let started = crate::auth::sessions::start(&state, &user, &amr, &meta).await?;
            let next = respond::safe_next(ticket.next_path.as_deref());
            let mut response = respond::signed_in(&state, next, started)?;
            clear_ticket(&state, &mut response)?;
            Ok(response)
        }
        Err(AppError::Invalid { message, .. }) => Ok(respond::html(
            StatusCode::BAD_REQUEST,
            &MfaPage {
                csrf: &csrf.0,
                backup_error: form
                    .backup
                    .is_some()
                    .then(|| crate::i18n::refusal(&message)),
                error: form
                    .backup
                    .is_none()
                    .then(|| crate::i18n::refusal(&message)),
                context: context_of(&state, &ticket, &meta).await,
            },
        )?),
        Err(e) => Err(e.into()),
    }
}

pub async fn enrol_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let Some((ticket, user)) = ticket_in(&req, &state, PURPOSE_ENROL).await else {
        return Ok(restart());
    };
    let enrolment =
        crate::auth::totp::start_enrolment(&state, &user, EnrolmentOwner::Ticket(ticket.id))
            .await?;
    Ok(respond::ok_page(&EnrolPage::new(
        &csrf.0,
        "/login/mfa/enrol",
        &enrolment,
        None,
        true,
    ))?)
}

pub async fn enrol_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some((ticket, user)) = ticket_in(&req, &state, PURPOSE_ENROL).await else {
        return Ok(restart());
    };
    let attempt = state.limits.begin_mfa(user.id)?;
    match mfa::complete_enrolment(&state, &ticket, &user, &form.code, &meta).await {
        Ok((codes, amr)) => {
            attempt.release();
            let started = crate::auth::sessions::start(&state, &user, &amr, &meta).await?;
            let next = respond::safe_next(ticket.next_path.as_deref());
            let mut response = respond::ok_page(&BackupCodesPage::new(&codes, next))?;
            respond::add_sign_in_cookies(&state, &mut response, started)?;
            clear_ticket(&state, &mut response)?;
            Ok(response)
        }
        Err(AppError::Invalid { message, .. }) => {
            let owner = EnrolmentOwner::Ticket(ticket.id);
            let enrolment = crate::auth::totp::resume_enrolment(&state, &user, owner).await?;
            let page = EnrolPage::new(
                &csrf.0,
                "/login/mfa/enrol",
                &enrolment,
                Some(crate::i18n::refusal(&message)),
                true,
            );
            Ok(respond::html(StatusCode::BAD_REQUEST, &page)?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/email_code.html")]
struct EmailCodePage<'a> {
    csrf: &'a str,
    minutes: i64,
    error: Option<String>,
}

/// `GET /login/code`: the emailed-code step of a risky sign-in.
pub async fn code_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let page = EmailCodePage {
        csrf: &csrf.0,
        minutes: crate::auth::step_up::CODE_MINUTES,
        error: None,
    };
    step_page(&req, &state, PURPOSE_EMAIL_CODE, &page).await
}

/// `POST /login/code`
pub async fn code_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some((ticket, user)) = ticket_in(&req, &state, PURPOSE_EMAIL_CODE).await else {
        return Ok(restart());
    };
    match crate::auth::step_up::verify_code(&state, &ticket, &user, &form.code, &meta).await {
        Ok(()) => {
            let step = mfa::after_email_code(&state, &user, &ticket).await?;
            let next = respond::safe_next(ticket.next_path.as_deref());
            Ok(continue_with(&state, &user, step, next, &meta, true).await?)
        }
        Err(AppError::Invalid { message, .. }) => Ok(respond::html(
            StatusCode::BAD_REQUEST,
            &EmailCodePage {
                csrf: &csrf.0,
                minutes: crate::auth::step_up::CODE_MINUTES,
                error: Some(crate::i18n::refusal(&message)),
            },
        )?),
        Err(e) => Err(e.into()),
    }
}
