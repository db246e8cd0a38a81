//! `/api/admin/orgs/{slug}/members…`
use actix_web::{HttpResponse, delete, get, post, put, web};
use uuid::Uuid;

use super::{AdminCaller, ApiError};
use crate::admin::members::{self, MemberRoles, MemberView, NewMember};
use crate::error::AppError;
use crate::state::AppState;

/// Members of an organization with their roles.
#[utoipa::path(
    tag = "members",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, body = [MemberView]),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/orgs/{slug}/members")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(members::list(&state, &caller.actor, &slug).await?))
}

/// Add a user (by id or email) with roles.
#[utoipa::path(
    tag = "members",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = NewMember,
    responses(
        (status = 201, body = MemberView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
)]
#[post("/orgs/{slug}/members")]
pub async fn add(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, AppError> {
    let member = members::add(
        &state,
        &caller.actor,
        &caller.meta,
        &slug,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(member))
}

/// Replace a member's roles.
#[utoipa::path(
    tag = "members",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    request_body = MemberRoles,
    responses(
        (status = 200, body = MemberView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[put("/orgs/{slug}/members/{user_id}")]
pub async fn set_roles(
    state: web::Data<AppState>,
    caller: AdminCaller,
    path: web::Path<(String, Uuid)>,
    body: web::Json<MemberRoles>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id) = path.into_inner();
    let member = members::set_roles(
        &state,
        &caller.actor,
        &caller.meta,
        &slug,
        user_id,
        body.into_inner(),
        false,
    )
    .await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Remove a member from the organization (the account stays).
#[utoipa::path(
    tag = "members",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[delete("/orgs/{slug}/members/{user_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: AdminCaller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id) = path.into_inner();
    members::remove(&state, &caller.actor, &caller.meta, &slug, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
