//! Which providers exist, which are offered to an organization, and with whose credentials.
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::error::AppError;
use crate::keys::MasterKey;
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::store::{oidc_providers, org_providers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Github,
    Google,
    Microsoft,
    Oidc,
}

pub const BUILT_IN: [&str; 3] = ["github", "google", "microsoft"];

/// Path segments under `/auth/` that belong to other endpoints, so no generic provider may
/// take them as its slug.
pub const RESERVED: [&str; 6] = [
    "admin",
    "device",
    "passkeys",
    "token",
    "verify-email",
    "link",
];

/// Everything needed to talk to one provider for one organization.
#[derive(Clone)]
pub struct ProviderConfig {
    pub slug: String,
    pub name: String,
    pub kind: ProviderKind,
    pub client_id: String,
    pub client_secret: SecretString,
    /// GitHub: where `/login/oauth/*` lives.
    pub base_url: String,
    /// GitHub: the REST API.
    pub api_base_url: String,
    /// OIDC: the issuer (Microsoft: `{authority_host}/{tenant}/v2.0`).
    pub issuer: String,
    /// Microsoft: the tenant GUIDs accepted with a multi-tenant authority.
    pub allowed_tenants: Vec<String>,
    /// Google: the Workspace domain required in `hd`.
    pub hosted_domain: Option<String>,
    pub extra_scopes: Vec<String>,
    /// The organization allows linking to the one account with the same verified email.
    pub auto_link: bool,
    /// The organization brought its own credentials (BYOO).
    pub org_owned: bool,
}

pub fn display_name(slug: &str) -> &str {
    match slug {
        "github" => "GitHub",
        "google" => "Google",
        "microsoft" => "Microsoft",
        other => other,
    }
}

fn kind_of(slug: &str) -> ProviderKind {
    match slug {
        "github" => ProviderKind::Github,
        "google" => ProviderKind::Google,
        "microsoft" => ProviderKind::Microsoft,
        _ => ProviderKind::Oidc,
    }
}

/// The additional data a sealed organization secret is bound to: it does not open on
/// another organization's row or for another provider.
pub fn org_secret_aad(org_id: Uuid, provider: &str) -> Vec<u8> {
    format!("org-provider:{org_id}:{provider}").into_bytes()
}

pub fn generic_secret_aad(slug: &str) -> Vec<u8> {
    format!("oidc-provider:{slug}").into_bytes()
}

fn open_secret(master: &MasterKey, sealed: &str, aad: &[u8]) -> Result<SecretString, AppError> {
    let bytes = master
        .open(sealed, aad)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("provider secret: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| AppError::Unexpected(anyhow::anyhow!("provider secret is not UTF-8")))?;
    Ok(SecretString::from(text))
}

fn not_configured(slug: &str) -> AppError {
    AppError::invalid(format!(
        "Signing in with {} is not set up here. Please choose another way to sign in.",
        display_name(slug)
    ))
}

fn microsoft_issuer(authority_host: &str, tenant: &str) -> String {
    format!("{}/{tenant}/v2.0", authority_host.trim_end_matches('/'))
}

/// The platform's configuration of a provider, with or without credentials. `None` when the
/// slug names no provider at all.
async fn platform(state: &AppState, slug: &str) -> Result<Option<ProviderConfig>, AppError> {
    let p = &state.settings.providers;
    let secret = |s: &Option<SecretString>| {
        s.as_ref()
            .map_or_else(|| SecretString::from(""), |s| s.clone())
    };
    let base = |kind, client_id: &Option<String>, client_secret| ProviderConfig {
        slug: slug.to_owned(),
        name: display_name(slug).to_owned(),
        kind,
        client_id: client_id.clone().unwrap_or_default(),
        client_secret,
        base_url: String::new(),
        api_base_url: String::new(),
        issuer: String::new(),
        allowed_tenants: Vec::new(),
        hosted_domain: None,
        extra_scopes: Vec::new(),
        auto_link: false,
        org_owned: false,
    };
    Ok(Some(match kind_of(slug) {
        ProviderKind::Github => ProviderConfig {
            base_url: p.github.base_url.trim_end_matches('/').to_owned(),
            api_base_url: p.github.api_base_url.trim_end_matches('/').to_owned(),
            ..base(
                ProviderKind::Github,
                &p.github.client_id,
                secret(&p.github.client_secret),
            )
        },
        ProviderKind::Google => ProviderConfig {
            issuer: p.google.issuer.trim_end_matches('/').to_owned(),
            hosted_domain: p.google.hosted_domain.clone(),
            ..base(
                ProviderKind::Google,
                &p.google.client_id,
                secret(&p.google.client_secret),
            )
        },
        ProviderKind::Microsoft => ProviderConfig {
            issuer: microsoft_issuer(&p.microsoft.authority_host, &p.microsoft.tenant),
            base_url: p.microsoft.authority_host.trim_end_matches('/').to_owned(),
            allowed_tenants: p.microsoft.allowed_tenants.clone(),
            ..base(
                ProviderKind::Microsoft,
                &p.microsoft.client_id,
                secret(&p.microsoft.client_secret),
            )
        },
        ProviderKind::Oidc => {
            let Some(row) = oidc_providers::find_by_slug(&state.db, slug).await? else {
                return Ok(None);
            };
            ProviderConfig {
                name: row.name.clone(),
                issuer: row.issuer.trim_end_matches('/').to_owned(),
                extra_scopes: row.scopes_list(),
                ..base(
                    ProviderKind::Oidc,
                    &Some(row.client_id.clone()),
                    open_secret(
                        &state.master,
                        &row.client_secret_sealed,
                        &generic_secret_aad(slug),
                    )?,
                )
            }
        }
    }))
}

fn has_credentials(config: &ProviderConfig) -> bool {
    !config.client_id.is_empty() && !config.client_secret.expose_secret().is_empty()
}

/// The configuration to use for `slug` and `org` (none: the platform's). 404 for a provider
/// that does not exist, 400 for one not set up for this organization. `platform_only` (admin
/// sign-in) ignores organizations' credentials.
pub async fn resolve(
    state: &AppState,
    slug: &str,
    org: Option<&Organization>,
    platform_only: bool,
) -> Result<ProviderConfig, AppError> {
    let Some(mut config) = platform(state, slug).await? else {
        return Err(AppError::NotFound("Unknown sign-in provider"));
    };
    if let Some(org) = org.filter(|_| !platform_only)
        && let Some(row) = org_providers::find(&state.db, org.id, slug).await?
    {
        if !row.enabled {
            return Err(not_configured(slug));
        }
        config.auto_link = row.auto_link;
        if let (Some(id), Some(sealed)) = (&row.client_id, &row.client_secret_sealed) {
            config.client_id = id.clone();
            config.client_secret =
                open_secret(&state.master, sealed, &org_secret_aad(org.id, slug))?;
            config.org_owned = true;
            if let Some(url) = &row.base_url {
                config.base_url = url.trim_end_matches('/').to_owned();
            }
            if let Some(url) = &row.api_base_url {
                config.api_base_url = url.trim_end_matches('/').to_owned();
            }
            if let Some(issuer) = &row.issuer {
                config.issuer = issuer.trim_end_matches('/').to_owned();
            }
            if let Some(tenant) = &row.tenant {
                config.issuer = microsoft_issuer(&config.base_url, tenant);
            }
        }
    }
    if has_credentials(&config) {
        Ok(config)
    } else {
        Err(not_configured(slug))
    }
}

/// Is `slug` a provider of this deployment (built in, or a generic one added by an admin)?
pub async fn exists(state: &AppState, slug: &str) -> Result<bool, AppError> {
    Ok(platform(state, slug).await?.is_some())
}

/// The providers offered on the sign-in page for `org` (platform defaults without one), as
/// (slug, display name).
pub async fn offered(
    state: &AppState,
    org: Option<&Organization>,
) -> Result<Vec<(String, String)>, AppError> {
    let mut slugs: Vec<String> = BUILT_IN.iter().map(|s| (*s).to_owned()).collect();
    slugs.extend(
        oidc_providers::list(&state.db)
            .await?
            .into_iter()
            .map(|p| p.slug),
    );
    let mut offered = Vec::new();
    for slug in slugs {
        if let Ok(config) = resolve(state, &slug, org, false).await {
            offered.push((config.slug, config.name));
        }
    }
    Ok(offered)
}
