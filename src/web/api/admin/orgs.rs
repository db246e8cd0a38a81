//! `/api/admin/orgs…`
use actix_web::{HttpResponse, get, patch, post, web};

use super::{AdminCaller, ApiError};
use crate::admin::orgs::{self, NewOrg, OrgUpdate, OrgView};
use crate::error::AppError;
use crate::state::AppState;

/// List organizations: all of them for a platform-wide caller, the caller's own otherwise.
#[utoipa::path(
    tag = "orgs",
    responses(
        (status = 200, body = [OrgView]),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
)]
#[get("/orgs")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(orgs::list(&state, &caller.actor).await?))
}

/// Create an organization (platform; `admin:orgs:write`).
#[utoipa::path(
    tag = "orgs",
    request_body = NewOrg,
    responses(
        (status = 201, body = OrgView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 409, body = ApiError),
    ),
)]
#[post("/orgs")]
pub async fn create(
    state: web::Data<AppState>,
    caller: AdminCaller,
    body: web::Json<NewOrg>,
) -> Result<HttpResponse, AppError> {
    let org = orgs::create(&state, &caller.actor, &caller.meta, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(org))
}

/// One organization (`admin:orgs:read` on it).
#[utoipa::path(
    tag = "orgs",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, body = OrgView),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/orgs/{slug}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(orgs::get(&state, &caller.actor, &slug).await?))
}

/// Rename an organization, or suspend / resume it (`status`: platform only).
#[utoipa::path(
    tag = "orgs",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = OrgUpdate,
    responses(
        (status = 200, body = OrgView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[patch("/orgs/{slug}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
    body: web::Json<OrgUpdate>,
) -> Result<HttpResponse, AppError> {
    let org = orgs::update(
        &state,
        &caller.actor,
        &caller.meta,
        &slug,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(org))
}
