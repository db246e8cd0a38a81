//! Sign-in providers: generic OIDC providers of the platform (platform owners) and an
//! organization's own credentials (BYOO, its admins). Secrets are sealed with the master key
//! and never returned: a view says only whether one is set.
use serde::Serialize;
use uuid::Uuid;

use super::orgs::find_for;
use super::{Actor, Reach, Scope};
use crate::audit::{self, AuditEvent, Outcome};
use crate::auth::federation::providers::{BUILT_IN, RESERVED, generic_secret_aad, org_secret_aad};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::oidc_providers;
use crate::store::org_providers::{self, OrgProviderSpec};

fn http_url(key: &str, value: &str) -> Result<String, AppError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(AppError::invalid(format!(
            "{key} must be an http(s) URL, got {value:?}"
        ))),
    }
}

/// The upstream redirect URI admins register at the provider.
pub fn callback_url(state: &AppState, provider: &str) -> String {
    format!("{}/auth/{provider}/callback", state.settings.public_url())
}

pub struct GenericSpec<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub scopes: &'a [String],
}

/// A generic provider as admins see it (never its secret).
#[derive(Debug, Serialize)]
pub struct GenericProviderView {
    pub slug: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub callback_url: String,
}

impl GenericProviderView {
    fn of(state: &AppState, p: oidc_providers::OidcProvider) -> Self {
        Self {
            callback_url: callback_url(state, &p.slug),
            scopes: p.scopes_list(),
            slug: p.slug,
            name: p.name,
            issuer: p.issuer,
            client_id: p.client_id,
        }
    }
}

/// `gatehouse provider add`: a generic OIDC provider offered by the platform.
pub async fn add_generic(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    spec: GenericSpec<'_>,
) -> Result<GenericProviderView, AppError> {
    actor.require(Scope::OrgsWrite, Reach::Platform)?;
    let slug = crate::domain::Slug::parse(spec.slug).map_err(AppError::invalid)?;
    if BUILT_IN.contains(&slug.as_str()) || RESERVED.contains(&slug.as_str()) {
        return Err(AppError::invalid(format!(
            "the slug {:?} is reserved; choose another",
            slug.as_str()
        )));
    }
    if spec.client_id.trim().is_empty() || spec.client_secret.is_empty() {
        return Err(AppError::invalid(
            "a client id and a client secret are required",
        ));
    }
    let issuer = http_url("issuer", spec.issuer)?;
    let txn = crate::store::begin(&state.writer).await?;
    if oidc_providers::find_by_slug(&txn, slug.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::invalid(format!(
            "a provider {:?} already exists",
            slug.as_str()
        )));
    }
    oidc_providers::insert(
        &txn,
        oidc_providers::NewOidcProvider {
            slug: slug.as_str(),
            name: spec.name,
            issuer: &issuer,
            client_id: spec.client_id.trim(),
            client_secret_sealed: state.master.seal(
                spec.client_secret.as_bytes(),
                &generic_secret_aad(slug.as_str()),
            ),
            scopes: spec.scopes,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new("provider.added", Outcome::Success, meta)
            .by(actor, format!("provider:{}", slug.as_str()), None)
            .details(serde_json::json!({"issuer": issuer, "client_id": spec.client_id.trim()})),
    )
    .await?;
    let added = oidc_providers::find_by_slug(&txn, slug.as_str())
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("provider vanished")))?;
    txn.commit().await?;
    Ok(GenericProviderView::of(state, added))
}

pub async fn list_generic(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<GenericProviderView>, AppError> {
    actor.require(Scope::OrgsRead, Reach::Platform)?;
    Ok(oidc_providers::list(&state.db)
        .await?
        .into_iter()
        .map(|p| GenericProviderView::of(state, p))
        .collect())
}

pub struct OrgSpec<'a> {
    pub org: &'a str,
    pub provider: &'a str,
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub base_url: Option<&'a str>,
    pub api_base_url: Option<&'a str>,
    pub issuer: Option<&'a str>,
    pub tenant: Option<&'a str>,
    pub disabled: bool,
    pub auto_link: bool,
}

impl<'a> OrgSpec<'a> {
    /// A row for `provider` in `org` with nothing overridden: the platform's credentials and
    /// URLs, enabled, no auto-linking.
    pub fn new(org: &'a str, provider: &'a str) -> Self {
        Self {
            org,
            provider,
            client_id: None,
            client_secret: None,
            base_url: None,
            api_base_url: None,
            issuer: None,
            tenant: None,
            disabled: false,
            auto_link: false,
        }
    }
}

/// An organization's settings for one provider (never the secret, sealed or not).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgProviderView {
    pub provider: String,
    pub enabled: bool,
    /// `None`: the platform's credentials apply.
    pub client_id: Option<String>,
    pub has_secret: bool,
    pub base_url: Option<String>,
    pub api_base_url: Option<String>,
    pub issuer: Option<String>,
    pub tenant: Option<String>,
    pub auto_link: bool,
    pub callback_url: String,
}

impl OrgProviderView {
    fn of(state: &AppState, p: org_providers::OrgProvider) -> Self {
        Self {
            callback_url: callback_url(state, &p.provider),
            has_secret: p.client_secret_sealed.is_some(),
            provider: p.provider,
            enabled: p.enabled,
            client_id: p.client_id,
            base_url: p.base_url,
            api_base_url: p.api_base_url,
            issuer: p.issuer,
            tenant: p.tenant,
            auto_link: p.auto_link,
        }
    }
}

async fn known_provider<C: sea_orm::ConnectionTrait>(
    db: &C,
    provider: &str,
) -> Result<(), AppError> {
    if BUILT_IN.contains(&provider) || oidc_providers::find_by_slug(db, provider).await?.is_some() {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "unknown provider {provider:?}: github, google, microsoft or a generic provider's slug"
        )))
    }
}

/// `gatehouse org provider set`: the organization's own credentials (or `disabled`).
pub async fn set_org(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    spec: OrgSpec<'_>,
) -> Result<OrgProviderView, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, spec.org).await?;
    known_provider(&state.db, spec.provider).await?;
    let existing = org_providers::find(&state.db, org.id, spec.provider).await?;
    let credentials = match (spec.client_id, spec.client_secret) {
        (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.is_empty() => Some((
            id.trim().to_owned(),
            state
                .master
                .seal(secret.as_bytes(), &org_secret_aad(org.id, spec.provider)),
        )),
        // The same client id without a secret keeps the stored secret (a form's blank
        // write-only field): the secret is never shown, so it cannot be sent back.
        (Some(id), None)
            if existing.as_ref().is_some_and(|row| {
                row.client_id.as_deref() == Some(id.trim()) && row.client_secret_sealed.is_some()
            }) =>
        {
            existing
                .and_then(|row| row.client_secret_sealed)
                .map(|sealed| (id.trim().to_owned(), sealed))
        }
        (None, None) => None,
        _ => {
            return Err(AppError::invalid(
                "give both a client id and a client secret, or neither (a new client id needs its secret)",
            ));
        }
    };
    if let Some(tenant) = spec.tenant
        && !(matches!(tenant, "common" | "organizations" | "consumers")
            || Uuid::parse_str(tenant).is_ok())
    {
        return Err(AppError::invalid(
            "tenant must be common, organizations, consumers or a tenant GUID",
        ));
    }
    let (client_id, sealed) = credentials.unzip();
    let row = OrgProviderSpec {
        org_id: org.id,
        provider: spec.provider.to_owned(),
        enabled: !spec.disabled,
        client_id,
        client_secret_sealed: sealed,
        base_url: spec.base_url.map(|u| http_url("base_url", u)).transpose()?,
        api_base_url: spec
            .api_base_url
            .map(|u| http_url("api_base_url", u))
            .transpose()?,
        issuer: spec.issuer.map(|u| http_url("issuer", u)).transpose()?,
        tenant: spec.tenant.map(str::to_owned),
        auto_link: spec.auto_link,
    };
    let details = serde_json::json!({
        "provider": spec.provider,
        "enabled": row.enabled,
        "client_id": row.client_id,
        "auto_link": row.auto_link,
    });
    let txn = crate::store::begin(&state.writer).await?;
    org_providers::upsert(&txn, row).await?;
    audit::record(
        &txn,
        AuditEvent::new("org.provider_set", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(details),
    )
    .await?;
    let saved = org_providers::list(&txn, org.id)
        .await?
        .into_iter()
        .find(|p| p.provider == spec.provider)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("provider row vanished")))?;
    txn.commit().await?;
    Ok(OrgProviderView::of(state, saved))
}

pub async fn list_org(
    state: &AppState,
    actor: &Actor,
    slug: &str,
) -> Result<Vec<OrgProviderView>, AppError> {
    let org = find_for(state, actor, Scope::OrgsRead, slug).await?;
    Ok(org_providers::list(&state.db, org.id)
        .await?
        .into_iter()
        .map(|p| OrgProviderView::of(state, p))
        .collect())
}

/// Back to the platform's credentials for `provider`; `false` when the org had none of its own.
pub async fn remove_org(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    provider: &str,
) -> Result<bool, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, slug).await?;
    let txn = crate::store::begin(&state.writer).await?;
    let removed = org_providers::delete(&txn, org.id, provider).await?;
    if removed {
        audit::record(
            &txn,
            AuditEvent::new("org.provider_removed", Outcome::Success, meta)
                .by(actor, format!("org:{}", org.id), Some(org.id))
                .details(serde_json::json!({"provider": provider})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(removed)
}
