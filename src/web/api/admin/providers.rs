//! `/api/admin/orgs/{slug}/providers…`: an organization's own sign-in provider credentials
//! (BYOO). The client secret is write-only: answers say only `has_secret`.
use actix_web::{HttpResponse, delete, get, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AdminCaller, ApiError};
use crate::admin::providers::{self, OrgProviderView, OrgSpec};
use crate::error::AppError;
use crate::state::AppState;

/// The organization's provider settings (`admin:orgs:read` on it).
#[utoipa::path(
    tag = "providers",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, body = [OrgProviderView]),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[get("/orgs/{slug}/providers")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(providers::list_org(&state, &caller.actor, &slug).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgProviderInput {
    /// The organization's OAuth app; give both `client_id` and `client_secret`, or neither
    /// (the platform's credentials).
    client_id: Option<String>,
    /// Write-only: stored sealed, never returned.
    client_secret: Option<String>,
    /// GitHub (Enterprise): where `/login/oauth/*` lives.
    base_url: Option<String>,
    /// GitHub (Enterprise): the REST API.
    api_base_url: Option<String>,
    /// Google or a generic provider: the issuer.
    issuer: Option<String>,
    /// Microsoft: common, organizations, consumers or a tenant GUID.
    tenant: Option<String>,
    /// `false`: the organization does not offer this provider.
    #[serde(default = "yes")]
    enabled: bool,
    /// Link a new identity to the one account with the same verified email.
    #[serde(default)]
    auto_link: bool,
}

fn yes() -> bool {
    true
}

/// Set the organization's own settings for a provider (`admin:orgs:write` on the org).
#[utoipa::path(
    tag = "providers",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("provider" = String, Path, description = "github, google, microsoft or a generic provider's slug"),
    ),
    request_body = OrgProviderInput,
    responses(
        (status = 200, body = OrgProviderView),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[put("/orgs/{slug}/providers/{provider}")]
pub async fn set(
    state: web::Data<AppState>,
    caller: AdminCaller,
    path: web::Path<(String, String)>,
    body: web::Json<OrgProviderInput>,
) -> Result<HttpResponse, AppError> {
    let (slug, provider) = path.into_inner();
    let body = body.into_inner();
    let view = providers::set_org(
        &state,
        &caller.actor,
        &caller.meta,
        OrgSpec {
            org: &slug,
            provider: &provider,
            client_id: body.client_id.as_deref(),
            client_secret: body.client_secret.as_deref(),
            base_url: body.base_url.as_deref(),
            api_base_url: body.api_base_url.as_deref(),
            issuer: body.issuer.as_deref(),
            tenant: body.tenant.as_deref(),
            disabled: !body.enabled,
            auto_link: body.auto_link,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Back to the platform's credentials for this provider (`admin:orgs:write` on the org).
#[utoipa::path(
    tag = "providers",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("provider" = String, Path, description = "The provider's slug"),
    ),
    responses(
        (status = 204),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError),
    ),
)]
#[delete("/orgs/{slug}/providers/{provider}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: AdminCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, provider) = path.into_inner();
    if providers::remove_org(&state, &caller.actor, &caller.meta, &slug, &provider).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound(
            "The organization has no settings for this provider",
        ))
    }
}
