//! The actions on one user (`POST /admin/users/{id}/…`): each calls the admin layer, then
//! returns to the user page with a confirmation (`?done=`), or shows the refusal there.
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::users::render_detail;
use super::{ConsoleAdmin, StepUpAdmin};
use crate::admin::users::{self, UserActionResult};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users/{id}/disable", web::post().to(disable))
        .route("/admin/users/{id}/enable", web::post().to(enable))
        .route("/admin/users/{id}/reset-mfa", web::post().to(reset_mfa))
        .route(
            "/admin/users/{id}/resend-verification",
            web::post().to(resend_verification),
        )
        .route(
            "/admin/users/{id}/send-password-reset",
            web::post().to(send_password_reset),
        )
        .route(
            "/admin/users/{id}/sessions/revoke-all",
            web::post().to(revoke_all_sessions),
        )
        .route(
            "/admin/users/{id}/sessions/{session}/revoke",
            web::post().to(revoke_session),
        );
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// Back to the user page: confirmed, or with the refusal of bad input shown there.
async fn answer(
    state: &AppState,
    admin: &ConsoleAdmin,
    id: Uuid,
    csrf: &str,
    result: Result<UserActionResult, AppError>,
) -> Result<HttpResponse, PageError> {
    match result {
        Ok(done) => Ok(respond::see_other(&format!(
            "/admin/users/{id}?done={}",
            done.result
        ))),
        Err(AppError::Invalid { message, .. }) => {
            render_detail(state, admin, id, csrf, None, Some(message.into_owned())).await
        }
        Err(AppError::RateLimited { .. }) => {
            let message = "Too many mails to this address in the last hour. Try again later.";
            render_detail(state, admin, id, csrf, None, Some(message.into())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let result = users::set_enabled(&state, &admin.actor(), &meta, id, false).await;
    answer(&state, &admin, id, &csrf.0, result).await
}

pub async fn enable(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let result = users::set_enabled(&state, &admin.actor(), &meta, id, true).await;
    answer(&state, &admin, id, &csrf.0, result).await
}

/// Removing someone's second factor hands their account to whoever holds the password: a
/// step-up action.
pub async fn reset_mfa(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let result = users::reset_mfa(&state, &admin.actor(), &meta, id).await;
    answer(&state, &admin, id, &csrf.0, result).await
}

pub async fn resend_verification(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let result = users::resend_verification(&state, &admin.actor(), &meta, id).await;
    answer(&state, &admin, id, &csrf.0, result).await
}

pub async fn send_password_reset(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let result = users::send_password_reset(&state, &admin.actor(), &meta, id).await;
    answer(&state, &admin, id, &csrf.0, result).await
}

pub async fn revoke_all_sessions(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let result = users::revoke_sessions(&state, &admin.actor(), &meta, id).await;
    answer(&state, &admin, id, &csrf.0, result).await
}

pub async fn revoke_session(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let (id, session) = path.into_inner();
    let result = users::revoke_session(&state, &admin.actor(), &meta, id, session).await;
    answer(&state, &admin, id, &csrf.0, result).await
}
