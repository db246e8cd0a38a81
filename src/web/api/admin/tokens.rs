//! `/api/admin/tokens…`: service tokens (docs/service-tokens.md), over
//! `crate::admin::service_tokens`.
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::{AdminCaller, ApiError};
use crate::admin::service_tokens::{
    self, IssuedToken, NewToken, RevokeToken, RotateToken, TokenView,
};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this organization's tokens (its slug).
    org: Option<String>,
}

/// Service tokens the caller may read (`admin:tokens:read`), optionally of one organization.
#[utoipa::path(
    tag = "tokens",
    params(ListQuery),
    responses(
        (status = 200, body = [TokenView]),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError),
    ),
)]
#[get("/tokens")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let list = service_tokens::list(&state, &caller.actor, query.org.as_deref()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Create a service token (`admin:tokens:write`); the answer is the only time its secret is
/// shown. Its scopes must be held by the caller.
#[utoipa::path(
    tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, body = IssuedToken),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 409, body = ApiError),
    ),
)]
#[post("/tokens")]
pub async fn create(
    state: web::Data<AppState>,
    caller: AdminCaller,
    body: web::Json<NewToken>,
) -> Result<HttpResponse, AppError> {
    let issued =
        service_tokens::create(&state, &caller.actor, body.into_inner(), &caller.meta).await?;
    Ok(no_store(HttpResponse::Created()).json(issued))
}

/// One service token (`admin:tokens:read`), with its last use.
#[utoipa::path(
    tag = "tokens",
    params(("id" = String, Path, description = "The token's public id")),
    responses(
        (status = 200, body = TokenView),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/tokens/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    caller: AdminCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service_tokens::show(&state, &caller.actor, &id).await?))
}

/// A new secret (`admin:tokens:write`); the previous one works for `overlap` seconds more
/// (default 300, at most 7 days).
#[utoipa::path(
    tag = "tokens",
    params(("id" = String, Path, description = "The token's public id")),
    request_body = RotateToken,
    responses(
        (status = 200, body = IssuedToken),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[post("/tokens/{id}/rotate")]
pub async fn rotate(
    state: web::Data<AppState>,
    caller: AdminCaller,
    id: web::Path<String>,
    body: web::Json<RotateToken>,
) -> Result<HttpResponse, AppError> {
    let issued =
        service_tokens::rotate(&state, &caller.actor, &id, body.into_inner(), &caller.meta).await?;
    Ok(no_store(HttpResponse::Ok()).json(issued))
}

/// Revoke a token now (`admin:tokens:write`); a reason is required. Twice is a 409.
#[utoipa::path(
    tag = "tokens",
    params(("id" = String, Path, description = "The token's public id")),
    request_body = RevokeToken,
    responses(
        (status = 200, body = TokenView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
)]
#[post("/tokens/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: AdminCaller,
    id: web::Path<String>,
    body: web::Json<RevokeToken>,
) -> Result<HttpResponse, AppError> {
    let token =
        service_tokens::revoke(&state, &caller.actor, &id, body.into_inner(), &caller.meta).await?;
    Ok(HttpResponse::Ok().json(token))
}

/// An answer carrying a secret is never cached.
fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    builder
}
