//! Administration of providers (used by the CLI): generic OIDC providers of the platform and
//! organizations' own credentials (BYOO), secrets sealed with the master key.
use uuid::Uuid;

use super::providers::{BUILT_IN, RESERVED, generic_secret_aad, org_secret_aad};
use crate::error::AppError;
use crate::keys::MasterKey;
use crate::store::org_providers::{self, OrgProviderSpec};
use crate::store::organizations::Organization;
use crate::store::{oidc_providers, organizations};

fn http_url(key: &str, value: &str) -> Result<String, AppError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(AppError::invalid(format!(
            "--{key} must be an http(s) URL, got {value:?}"
        ))),
    }
}

pub struct GenericSpec<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub scopes: &'a [String],
}

/// `gatehouse provider add`: a generic OIDC provider offered by the platform.
pub async fn add_generic<C: sea_orm::ConnectionTrait>(
    db: &C,
    master: &MasterKey,
    spec: GenericSpec<'_>,
) -> Result<(), AppError> {
    let slug = crate::domain::Slug::parse(spec.slug).map_err(AppError::invalid)?;
    if BUILT_IN.contains(&slug.as_str()) || RESERVED.contains(&slug.as_str()) {
        return Err(AppError::invalid(format!(
            "the slug {:?} is reserved; choose another",
            slug.as_str()
        )));
    }
    if oidc_providers::find_by_slug(db, slug.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::invalid(format!(
            "a provider {:?} already exists",
            slug.as_str()
        )));
    }
    if spec.client_id.trim().is_empty() || spec.client_secret.is_empty() {
        return Err(AppError::invalid(
            "a client id and a client secret are required",
        ));
    }
    let issuer = http_url("issuer", spec.issuer)?;
    oidc_providers::insert(
        db,
        oidc_providers::NewOidcProvider {
            slug: slug.as_str(),
            name: spec.name,
            issuer: &issuer,
            client_id: spec.client_id.trim(),
            client_secret_sealed: master.seal(
                spec.client_secret.as_bytes(),
                &generic_secret_aad(slug.as_str()),
            ),
            scopes: spec.scopes,
        },
    )
    .await?;
    Ok(())
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

async fn org_by_slug<C: sea_orm::ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Organization, AppError> {
    organizations::find_by_slug(db, slug)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no organization {slug:?}")))
}

async fn known_provider<C: sea_orm::ConnectionTrait>(
    db: &C,
    provider: &str,
) -> Result<(), AppError> {
    if BUILT_IN.contains(&provider) || oidc_providers::find_by_slug(db, provider).await?.is_some() {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "unknown provider {provider:?}: github, google, microsoft or a slug from `gatehouse provider add`"
        )))
    }
}

/// `gatehouse org provider set`: the organization's own credentials (or `disabled`).
pub async fn set_org<C: sea_orm::ConnectionTrait>(
    db: &C,
    master: &MasterKey,
    spec: OrgSpec<'_>,
) -> Result<Uuid, AppError> {
    let org = org_by_slug(db, spec.org).await?;
    known_provider(db, spec.provider).await?;
    let credentials = match (spec.client_id, spec.client_secret) {
        (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.is_empty() => Some((
            id.trim().to_owned(),
            master.seal(secret.as_bytes(), &org_secret_aad(org.id, spec.provider)),
        )),
        (None, None) => None,
        _ => {
            return Err(AppError::invalid(
                "give both --client-id and --client-secret-stdin, or neither",
            ));
        }
    };
    if let Some(tenant) = spec.tenant
        && !(matches!(tenant, "common" | "organizations" | "consumers")
            || Uuid::parse_str(tenant).is_ok())
    {
        return Err(AppError::invalid(
            "--tenant must be common, organizations, consumers or a tenant GUID",
        ));
    }
    let (client_id, sealed) = credentials.unzip();
    org_providers::upsert(
        db,
        OrgProviderSpec {
            org_id: org.id,
            provider: spec.provider.to_owned(),
            enabled: !spec.disabled,
            client_id,
            client_secret_sealed: sealed,
            base_url: spec.base_url.map(|u| http_url("base-url", u)).transpose()?,
            api_base_url: spec
                .api_base_url
                .map(|u| http_url("api-base-url", u))
                .transpose()?,
            issuer: spec.issuer.map(|u| http_url("issuer", u)).transpose()?,
            tenant: spec.tenant.map(str::to_owned),
            auto_link: spec.auto_link,
        },
    )
    .await?;
    Ok(org.id)
}

pub async fn list_org<C: sea_orm::ConnectionTrait>(
    db: &C,
    org: &str,
) -> Result<Vec<org_providers::OrgProvider>, AppError> {
    let org = org_by_slug(db, org).await?;
    Ok(org_providers::list(db, org.id).await?)
}

pub async fn remove_org<C: sea_orm::ConnectionTrait>(
    db: &C,
    org: &str,
    provider: &str,
) -> Result<bool, AppError> {
    let org = org_by_slug(db, org).await?;
    Ok(org_providers::delete(db, org.id, provider).await?)
}
