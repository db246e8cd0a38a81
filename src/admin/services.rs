//! Services (OIDC clients) of an organization: create, list, read, update, rotate the client
//! secret with an overlap window, delete.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::service_federation::{ServiceFederation, set_service_federation};
use super::{
    Actor, Invalidation, Reach, Scope, commit_and_invalidate, conflict_or, validate_redirect_uri,
};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{RequestMeta, Slug};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::oidc::grants::GrantType;
use crate::oidc::scope::USER_SCOPES;
use crate::state::AppState;
use crate::store::services::{self, NewService, Service, ServiceChanges};

/// A new service; the same options as `gatehouse service create`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceInput {
    pub slug: String,
    pub name: String,
    /// A public client (SPA, native app, CLI): no secret, PKCE required.
    #[serde(default)]
    pub public: bool,
    /// Default: authorization_code and refresh_token.
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Skip the consent page.
    #[serde(default)]
    pub first_party: bool,
    pub device_activation_uri: Option<String>,
    /// Extra scopes the service may be granted (e.g. API scopes for client_credentials).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// RS256 (default), ES256 or EdDSA.
    pub signing_alg: Option<String>,
    /// Let the JSON API sign users in with a password (first-party services only).
    #[serde(default)]
    pub allow_password_api: bool,
    /// Sign-in provider slugs the service offers; empty: every provider of its organization.
    #[serde(default)]
    pub allowed_providers: Vec<String>,
    /// Tokens in the redirect URI after a provider sign-in (first-party only).
    #[serde(default)]
    pub token_redirect: bool,
}

/// What may change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceUpdate {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub first_party: Option<bool>,
    pub signing_alg: Option<String>,
    pub allow_password_api: Option<bool>,
    pub allowed_providers: Option<Vec<String>>,
    pub token_redirect: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// Seconds the old secret keeps working (0 to 30 days; default 0: it stops now).
    #[serde(default)]
    pub overlap_secs: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: String,
    pub name: String,
    pub client_id: String,
    /// `confidential` or `public`.
    pub kind: &'static str,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub first_party: bool,
    pub signing_alg: String,
    pub device_activation_uri: Option<String>,
    pub allow_password_api: bool,
    pub allowed_providers: Vec<String>,
    pub token_redirect: bool,
    /// Until when the secret from before the last rotation still works.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Service> for ServiceView {
    fn from(s: Service) -> Self {
        Self {
            id: s.id,
            org_id: s.org_id,
            kind: if s.confidential {
                "confidential"
            } else {
                "public"
            },
            grant_types: s.grant_types_list(),
            redirect_uris: s.redirect_uris_list(),
            post_logout_redirect_uris: s.post_logout_redirect_uris_list(),
            allowed_scopes: s.allowed_scopes_list(),
            allowed_providers: s.allowed_providers_list(),
            previous_secret_expires_at: s.previous_secret_expires_at.filter(|at| *at > Utc::now()),
            slug: s.slug,
            name: s.name,
            client_id: s.client_id,
            first_party: s.first_party,
            signing_alg: s.signing_alg,
            device_activation_uri: s.device_activation_uri,
            allow_password_api: s.allow_password_api,
            token_redirect: s.token_redirect,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedService {
    pub id: Uuid,
    pub org: String,
    pub slug: String,
    pub client_id: String,
    /// Shown once; only its SHA-256 is stored. `null` for a public client.
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    /// The new secret, shown once.
    pub client_secret: String,
    /// The old secret works until then (`null`: it stopped now).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

/// The longest overlap of a rotated secret.
const MAX_OVERLAP_SECS: i64 = 30 * 24 * 3600;

/// The service `client_id`, once `actor` may use `scope` on its organization. An actor with no
/// right on any organization gets a 403 whether or not it exists.
pub async fn find_for(
    state: &AppState,
    actor: &Actor,
    scope: Scope,
    client_id: &str,
) -> Result<Service, AppError> {
    match services::find_by_client_id(&state.db, client_id).await? {
        Some(service) => {
            actor.require(scope, Reach::Org(service.org_id))?;
            Ok(service)
        }
        None => {
            if !actor.may(scope, Reach::Platform) {
                actor.require(scope, Reach::Platform)?;
            }
            Err(AppError::NotFound("Service not found"))
        }
    }
}

fn valid_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(
            "a service needs a name of 1 to 200 characters",
        ));
    }
    Ok(name)
}

/// Parses, sorts and de-duplicates grant type names.
fn grant_types(raw: Vec<String>) -> Result<(Vec<String>, Vec<GrantType>), AppError> {
    let mut names = raw;
    names.sort();
    names.dedup();
    let mut grants = Vec::with_capacity(names.len());
    for grant in &names {
        let Some(parsed) = GrantType::parse(grant) else {
            return Err(AppError::invalid(format!(
                "unknown grant type {grant:?}; use one of {}",
                GrantType::ALL.map(GrantType::as_str).join(", ")
            )));
        };
        grants.push(parsed);
    }
    Ok((names, grants))
}

fn signing_alg(raw: Option<&str>) -> Result<String, AppError> {
    let alg = raw.unwrap_or("RS256");
    if !crate::keys::SUPPORTED_ALGS.contains(&alg) {
        return Err(AppError::invalid(format!(
            "unsupported signing algorithm {alg:?}; use one of {}",
            crate::keys::SUPPORTED_ALGS.join(", ")
        )));
    }
    Ok(alg.to_owned())
}

/// The rules that tie a service's settings together, checked on create and after an update.
fn check_consistency(
    public: bool,
    grants: &[GrantType],
    redirect_uris: &[String],
    first_party: bool,
    allow_password_api: bool,
) -> Result<(), AppError> {
    if public && grants.contains(&GrantType::ClientCredentials) {
        return Err(AppError::invalid(
            "a public service cannot use client_credentials",
        ));
    }
    if allow_password_api && !first_party {
        return Err(AppError::invalid(
            "allow_password_api needs first_party: the JSON sign-in API serves first-party services only",
        ));
    }
    if grants.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(AppError::invalid(
            "authorization_code needs at least one redirect URI",
        ));
    }
    Ok(())
}

/// The federation settings' own checks, run before anything is written so that a refused
/// request changes nothing (`set_service_federation` writes them afterwards).
async fn check_federation(
    state: &AppState,
    first_party: bool,
    allowed_providers: &[String],
    token_redirect: bool,
) -> Result<(), AppError> {
    for slug in allowed_providers {
        if !crate::auth::federation::providers::exists(state, slug).await? {
            return Err(AppError::invalid(format!(
                "{slug:?} is not a sign-in provider of this deployment"
            )));
        }
    }
    if token_redirect && !first_party {
        return Err(AppError::invalid(
            "only a first-party service may receive tokens in its redirect URI",
        ));
    }
    Ok(())
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    input: NewServiceInput,
) -> Result<CreatedService, AppError> {
    let org = super::orgs::find_for(state, actor, Scope::ServicesWrite, org_slug).await?;
    let slug = Slug::parse(&input.slug).map_err(AppError::invalid)?;
    let name = valid_name(&input.name)?;
    let requested = if input.grant_types.is_empty() {
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
            .map(|g| g.as_str().to_owned())
            .to_vec()
    } else {
        input.grant_types
    };
    let (grant_names, grants) = grant_types(requested)?;
    check_consistency(
        input.public,
        &grants,
        &input.redirect_uris,
        input.first_party,
        input.allow_password_api,
    )?;
    for uri in input
        .redirect_uris
        .iter()
        .chain(&input.post_logout_redirect_uris)
        .chain(&input.device_activation_uri)
    {
        validate_redirect_uri(uri)?;
    }
    let mut allowed_scopes: Vec<String> = USER_SCOPES.map(String::from).to_vec();
    for scope in &input.scopes {
        if crate::oidc::scope::ScopeSet::parse(scope).is_none_or(|s| s.as_list().len() != 1) {
            return Err(AppError::invalid(format!(
                "{scope:?} is not a valid scope name"
            )));
        }
        allowed_scopes.push(scope.clone());
    }
    let alg = signing_alg(input.signing_alg.as_deref())?;
    check_federation(
        state,
        input.first_party,
        &input.allowed_providers,
        input.token_redirect,
    )
    .await?;
    let client_id = format!("{}_{}", slug.as_str(), &random_token()[..16]);
    let secret = (!input.public).then(random_token);
    let txn = crate::store::begin(&state.writer).await?;
    let created = services::insert(
        &txn,
        NewService {
            org_id: org.id,
            slug: slug.as_str(),
            name,
            client_id: &client_id,
            client_secret_hash: secret.as_deref().map(hash_token),
            confidential: !input.public,
            redirect_uris: &input.redirect_uris,
            post_logout_redirect_uris: &input.post_logout_redirect_uris,
            grant_types: &grant_names,
            allowed_scopes: &allowed_scopes,
            first_party: input.first_party,
            device_activation_uri: input.device_activation_uri,
            signing_alg: &alg,
            allow_password_api: input.allow_password_api,
        },
    )
    .await
    .map_err(|e| conflict_or(e, "a service with this slug in the organization"))?;
    audit::record(
        &txn,
        AuditEvent::new("admin.service.created", Outcome::Success, meta)
            .by(actor, format!("service:{}", created.id), Some(org.id))
            .details(serde_json::json!({
                "client_id": client_id,
                "grant_types": grant_names,
                "public": input.public,
                "first_party": input.first_party,
            })),
    )
    .await?;
    txn.commit().await?;
    if !input.allowed_providers.is_empty() || input.token_redirect {
        // Its own audited operation (the provider list is checked against the deployment).
        set_service_federation(
            state,
            actor,
            meta,
            ServiceFederation {
                client_id: client_id.clone(),
                allowed_providers: input.allowed_providers,
                token_redirect: input.token_redirect,
            },
        )
        .await?;
    }
    // Publish the algorithm's key now, so relying parties see it in the JWKS before the
    // first token.
    state
        .keys
        .ensure_active(&state.db, &alg)
        .await
        .map_err(AppError::Unexpected)?;
    Ok(CreatedService {
        id: created.id,
        org: org.slug,
        slug: created.slug,
        client_id,
        client_secret: secret,
    })
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    org_slug: Option<&str>,
) -> Result<Vec<ServiceView>, AppError> {
    let org_id = match org_slug {
        Some(slug) => Some(
            super::orgs::find_for(state, actor, Scope::ServicesRead, slug)
                .await?
                .id,
        ),
        None => {
            actor.require(Scope::ServicesRead, Reach::Platform)?;
            None
        }
    };
    Ok(services::list(&state.db, org_id)
        .await?
        .into_iter()
        .map(ServiceView::from)
        .collect())
}

pub async fn get(
    state: &AppState,
    actor: &Actor,
    client_id: &str,
) -> Result<ServiceView, AppError> {
    Ok(find_for(state, actor, Scope::ServicesRead, client_id)
        .await?
        .into())
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    client_id: &str,
    input: ServiceUpdate,
) -> Result<ServiceView, AppError> {
    let service = find_for(state, actor, Scope::ServicesWrite, client_id).await?;
    let name = input.name.as_deref().map(valid_name).transpose()?;
    let (grant_names, grants) = match input.grant_types.clone() {
        Some(raw) if raw.is_empty() => {
            return Err(AppError::invalid("grant_types may not be empty"));
        }
        Some(raw) => {
            let (names, grants) = grant_types(raw)?;
            (Some(names), grants)
        }
        None => (None, grant_types(service.grant_types_list())?.1),
    };
    let redirect_uris = input
        .redirect_uris
        .clone()
        .unwrap_or_else(|| service.redirect_uris_list());
    for uri in input
        .redirect_uris
        .iter()
        .chain(&input.post_logout_redirect_uris)
        .flatten()
    {
        validate_redirect_uri(uri)?;
    }
    let first_party = input.first_party.unwrap_or(service.first_party);
    let allow_password_api = input
        .allow_password_api
        .unwrap_or(service.allow_password_api && first_party);
    check_consistency(
        !service.confidential,
        &grants,
        &redirect_uris,
        first_party,
        allow_password_api,
    )?;
    let alg = input
        .signing_alg
        .as_deref()
        .map(|a| signing_alg(Some(a)))
        .transpose()?;
    let allowed_providers = input
        .allowed_providers
        .clone()
        .unwrap_or_else(|| service.allowed_providers_list());
    let token_redirect = input.token_redirect.unwrap_or(service.token_redirect);
    check_federation(state, first_party, &allowed_providers, token_redirect).await?;
    let changes = ServiceChanges {
        name: name.map(str::to_owned),
        redirect_uris: input.redirect_uris.clone(),
        post_logout_redirect_uris: input.post_logout_redirect_uris.clone(),
        grant_types: grant_names.clone(),
        allowed_scopes: None,
        first_party: input.first_party,
        signing_alg: alg.clone(),
        allow_password_api: (allow_password_api != service.allow_password_api)
            .then_some(allow_password_api),
    };
    let federation_only = input.name.is_none()
        && input.redirect_uris.is_none()
        && input.post_logout_redirect_uris.is_none()
        && input.grant_types.is_none()
        && input.first_party.is_none()
        && input.signing_alg.is_none()
        && input.allow_password_api.is_none();
    if federation_only && input.allowed_providers.is_none() && input.token_redirect.is_none() {
        return Err(AppError::invalid("nothing to change"));
    }
    if !federation_only {
        let txn = crate::store::begin(&state.writer).await?;
        services::update(&txn, service.id, changes).await?;
        audit::record(
            &txn,
            AuditEvent::new("admin.service.updated", Outcome::Success, meta)
                .by(
                    actor,
                    format!("service:{}", service.id),
                    Some(service.org_id),
                )
                .details(serde_json::json!({
                    "name": name,
                    "redirect_uris": input.redirect_uris,
                    "post_logout_redirect_uris": input.post_logout_redirect_uris,
                    "grant_types": grant_names,
                    "first_party": input.first_party,
                    "signing_alg": alg,
                    "allow_password_api": input.allow_password_api,
                })),
        )
        .await?;
        let changed = Invalidation::Service(service.client_id.clone());
        commit_and_invalidate(state, txn, &changed).await?;
    }
    if input.allowed_providers.is_some() || input.token_redirect.is_some() {
        set_service_federation(
            state,
            actor,
            meta,
            ServiceFederation {
                client_id: service.client_id.clone(),
                allowed_providers,
                token_redirect,
            },
        )
        .await?;
    }
    if let Some(alg) = &alg {
        state
            .keys
            .ensure_active(&state.db, alg)
            .await
            .map_err(AppError::Unexpected)?;
    }
    get(state, actor, client_id).await
}

/// A new client secret; the old one keeps working for `overlap_secs` so the service can roll
/// it out without downtime. A rotation inside an overlap ends the older overlap.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    client_id: &str,
    input: RotateSecret,
) -> Result<RotatedSecret, AppError> {
    let service = find_for(state, actor, Scope::ServicesWrite, client_id).await?;
    if !(0..=MAX_OVERLAP_SECS).contains(&input.overlap_secs) {
        return Err(AppError::invalid(format!(
            "overlap_secs must be between 0 and {MAX_OVERLAP_SECS}"
        )));
    }
    let Some(current) = service.client_secret_hash.clone() else {
        return Err(AppError::invalid("a public service has no client secret"));
    };
    let secret = random_token();
    let until = (input.overlap_secs > 0)
        .then(|| Utc::now() + chrono::Duration::seconds(input.overlap_secs));
    let txn = crate::store::begin(&state.writer).await?;
    services::rotate_secret(
        &txn,
        service.id,
        hash_token(&secret),
        until.map(|_| current),
        until,
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new("admin.service.secret_rotated", Outcome::Success, meta)
            .by(
                actor,
                format!("service:{}", service.id),
                Some(service.org_id),
            )
            .details(serde_json::json!({ "overlap_secs": input.overlap_secs })),
    )
    .await?;
    let changed = Invalidation::Service(service.client_id.clone());
    commit_and_invalidate(state, txn, &changed).await?;
    Ok(RotatedSecret {
        client_id: service.client_id,
        client_secret: secret,
        previous_secret_expires_at: until,
    })
}

pub async fn delete(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    client_id: &str,
) -> Result<(), AppError> {
    let service = find_for(state, actor, Scope::ServicesWrite, client_id).await?;
    if service.client_id == "gatehouse" {
        return Err(AppError::invalid(
            "the built-in gatehouse service cannot be deleted",
        ));
    }
    let txn = crate::store::begin(&state.writer).await?;
    services::delete(&txn, service.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("admin.service.deleted", Outcome::Success, meta)
            .by(
                actor,
                format!("service:{}", service.id),
                Some(service.org_id),
            )
            .details(serde_json::json!({ "client_id": service.client_id, "slug": service.slug })),
    )
    .await?;
    commit_and_invalidate(state, txn, &Invalidation::Service(service.client_id)).await
}
