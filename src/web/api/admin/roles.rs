//! `/api/admin/orgs/{slug}/plan` and `/api/admin/orgs/{slug}/roles…`: the plan and features
//! (platform owners) and role definitions (org admins) that members' tokens carry.
use actix_web::{HttpResponse, delete, get, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AdminCaller, ApiError};
use crate::admin::roles::{self, OrgPlan, RoleDefinition};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The plan's name; `null` or empty clears it.
    #[serde(default)]
    plan: Option<String>,
    /// Replaces the feature list.
    #[serde(default)]
    features: Vec<String>,
}

/// Set an organization's plan and features (platform; `admin:orgs:write`).
#[utoipa::path(
    tag = "roles",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = PlanInput,
    responses(
        (status = 200, body = OrgPlan),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[put("/orgs/{slug}/plan")]
pub async fn set_plan(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
    body: web::Json<PlanInput>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let plan = roles::set_plan(
        &state,
        &caller.actor,
        &caller.meta,
        &slug,
        body.plan.as_deref(),
        &body.features,
    )
    .await?;
    Ok(HttpResponse::Ok().json(plan))
}

/// The organization's role definitions (`admin:orgs:read` on it).
#[utoipa::path(
    tag = "roles",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, body = [RoleDefinition]),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/orgs/{slug}/roles")]
pub async fn list_roles(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(roles::list_roles(&state, &caller.actor, &slug).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Replaces the role's permissions (at most 100 names of 1 to 64 characters).
    permissions: Vec<String>,
}

/// Define a role or replace its permissions (`admin:orgs:write` on the org).
#[utoipa::path(
    tag = "roles",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("role" = String, Path, description = "The role's name"),
    ),
    request_body = RoleInput,
    responses(
        (status = 200, body = RoleDefinition),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[put("/orgs/{slug}/roles/{role}")]
pub async fn define_role(
    state: web::Data<AppState>,
    caller: AdminCaller,
    path: web::Path<(String, String)>,
    body: web::Json<RoleInput>,
) -> Result<HttpResponse, AppError> {
    let (slug, role) = path.into_inner();
    let defined = roles::define_role(
        &state,
        &caller.actor,
        &caller.meta,
        &slug,
        &role,
        &body.permissions,
    )
    .await?;
    Ok(HttpResponse::Ok().json(defined))
}

/// Delete a role definition; members keep the role name, which then grants nothing.
#[utoipa::path(
    tag = "roles",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("role" = String, Path, description = "The role's name"),
    ),
    responses(
        (status = 204),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[delete("/orgs/{slug}/roles/{role}")]
pub async fn delete_role(
    state: web::Data<AppState>,
    caller: AdminCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, role) = path.into_inner();
    roles::delete_role(&state, &caller.actor, &caller.meta, &slug, &role).await?;
    Ok(HttpResponse::NoContent().finish())
}
