//! `GET /api/admin/audit-events`: the audit trail, filtered, newest first, cursor paging.
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{AdminCaller, ApiError};
use crate::admin::audit_log::{self, AuditPage, AuditQuery};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// e.g. `user:<uuid>`, `service_token:<id>`, `cli`
    actor: Option<String>,
    /// e.g. `user:<uuid>`, `org:<uuid>`
    target: Option<String>,
    /// e.g. `user.login`
    action: Option<String>,
    /// An organization's slug; required unless the caller reads the whole platform.
    org: Option<String>,
    /// `success` or `failure`
    outcome: Option<String>,
    /// RFC 3339; events at or after it.
    since: Option<String>,
    /// RFC 3339; events before it.
    until: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn instant(name: &str, raw: Option<String>) -> Result<Option<DateTime<Utc>>, AppError> {
    raw.map(|raw| {
        DateTime::parse_from_rfc3339(&raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AppError::invalid(format!("{name} must be an RFC 3339 time")))
    })
    .transpose()
}

/// Audit events (`admin:audit:read`): org admins name their `org` and see only its events.
#[utoipa::path(
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[get("/audit-events")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let query = AuditQuery {
        since: instant("since", p.since)?,
        until: instant("until", p.until)?,
        actor: p.actor,
        target: p.target,
        action: p.action,
        org: p.org,
        outcome: p.outcome,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(HttpResponse::Ok().json(audit_log::list(&state, &caller.actor, query).await?))
}
