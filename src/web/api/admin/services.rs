//! `/api/admin/orgs/{slug}/services` and `/api/admin/services/{client_id}…`
use actix_web::{HttpResponse, delete, get, patch, post, web};

use super::{AdminCaller, ApiError};
use crate::admin::services::{
    self, CreatedService, NewServiceInput, RotateSecret, RotatedSecret, ServiceUpdate, ServiceView,
};
use crate::error::AppError;
use crate::state::AppState;

/// Services of an organization (`admin:services:read` on it).
#[utoipa::path(
    tag = "services",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, body = [ServiceView]),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/orgs/{slug}/services")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(services::list(&state, &caller.actor, Some(&slug)).await?))
}

/// Create a service; the answer holds the client secret, shown only this once.
#[utoipa::path(
    tag = "services",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = NewServiceInput,
    responses(
        (status = 201, body = CreatedService),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
)]
#[post("/orgs/{slug}/services")]
pub async fn create(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
    body: web::Json<NewServiceInput>,
) -> Result<HttpResponse, AppError> {
    let created = services::create(
        &state,
        &caller.actor,
        &caller.meta,
        &slug,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// One service (`admin:services:read` on its organization).
#[utoipa::path(
    tag = "services",
    params(("client_id" = String, Path, description = "The service's client_id")),
    responses(
        (status = 200, body = ServiceView),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/services/{client_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: AdminCaller,
    client_id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(services::get(&state, &caller.actor, &client_id).await?))
}

/// Change redirect URIs, grant types, first-party, signing algorithm, allowed providers….
#[utoipa::path(
    tag = "services",
    params(("client_id" = String, Path, description = "The service's client_id")),
    request_body = ServiceUpdate,
    responses(
        (status = 200, body = ServiceView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[patch("/services/{client_id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: AdminCaller,
    client_id: web::Path<String>,
    body: web::Json<ServiceUpdate>,
) -> Result<HttpResponse, AppError> {
    let view = services::update(
        &state,
        &caller.actor,
        &caller.meta,
        &client_id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A new client secret; the old one keeps working for `overlap_secs`.
#[utoipa::path(
    tag = "services",
    params(("client_id" = String, Path, description = "The service's client_id")),
    request_body = RotateSecret,
    responses(
        (status = 200, body = RotatedSecret),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[post("/services/{client_id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: AdminCaller,
    client_id: web::Path<String>,
    body: web::Json<RotateSecret>,
) -> Result<HttpResponse, AppError> {
    let rotated = services::rotate_secret(
        &state,
        &caller.actor,
        &caller.meta,
        &client_id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(rotated))
}

/// Delete a service with its codes, refresh tokens and consents.
#[utoipa::path(
    tag = "services",
    params(("client_id" = String, Path, description = "The service's client_id")),
    responses(
        (status = 204),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[delete("/services/{client_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: AdminCaller,
    client_id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    services::delete(&state, &caller.actor, &caller.meta, &client_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
