//! `/api/admin/keys…`: signing keys (platform; `admin:keys:read` / `admin:keys:write`).
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AdminCaller, ApiError};
use crate::admin::keys::{self, KeyView};
use crate::error::AppError;
use crate::state::AppState;

/// Every signing key: next, active and retired (never a private key).
#[utoipa::path(
    tag = "keys",
    responses(
        (status = 200, body = [KeyView]),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
)]
#[get("/keys")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(keys::list(&state, &caller.actor).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    /// RS256 (default), ES256 or EdDSA.
    alg: Option<String>,
    /// Seconds until the new key signs (0 to 604800; default: one JWKS cache period).
    delay_secs: Option<i64>,
}

/// Publish a new key that starts signing after the delay.
#[utoipa::path(
    tag = "keys",
    request_body = RotateInput,
    responses(
        (status = 201, body = KeyView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError),
    ),
)]
#[post("/keys/rotate")]
pub async fn rotate(
    state: web::Data<AppState>,
    caller: AdminCaller,
    body: web::Json<RotateInput>,
) -> Result<HttpResponse, AppError> {
    let key = keys::rotate(
        &state,
        &caller.actor,
        &caller.meta,
        body.alg.as_deref(),
        body.delay_secs,
    )
    .await?;
    Ok(HttpResponse::Created().json(key))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireInput {
    /// Stop publishing the key now (a compromised key): tokens it signed stop verifying.
    #[serde(default)]
    immediate: bool,
}

/// Retire a key; the active key is replaced by a new one at once.
#[utoipa::path(
    tag = "keys",
    params(("kid" = String, Path, description = "The key id")),
    request_body = RetireInput,
    responses(
        (status = 200, body = KeyView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[post("/keys/{kid}/retire")]
pub async fn retire(
    state: web::Data<AppState>,
    caller: AdminCaller,
    kid: web::Path<String>,
    body: web::Json<RetireInput>,
) -> Result<HttpResponse, AppError> {
    let key = keys::retire(&state, &caller.actor, &caller.meta, &kid, body.immediate).await?;
    Ok(HttpResponse::Ok().json(key))
}
