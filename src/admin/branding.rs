//! Setting an organization's branding: the one operation behind `gatehouse org branding set`
//! and (later) the console's form.
use serde::Serialize;
use uuid::Uuid;

use super::{Actor, Reach, Scope};
use crate::audit::{self, AuditEvent, Outcome};
use crate::branding::{self, Accent};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::org_branding::{self, OrgBranding};
use crate::store::organizations;

/// A change to one field: `None` leaves it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    Set(T),
    Clear,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logo {
    /// Uploaded bytes (PNG, JPEG, WebP or SVG), stored in the database.
    Upload(Vec<u8>),
    /// An https URL the browser loads.
    Url(String),
}

/// What to change; fields left `None` keep their value.
#[derive(Debug, Clone, Default)]
pub struct BrandingInput {
    pub org_id: Uuid,
    pub display_name: Option<Change<String>>,
    pub logo: Option<Change<Logo>>,
    pub accent: Option<Change<String>>,
    pub support_url: Option<Change<String>>,
    pub privacy_url: Option<Change<String>>,
    pub terms_url: Option<Change<String>>,
}

/// The branding after the change, as the CLI prints it.
#[derive(Debug, Serialize)]
pub struct BrandingView {
    pub org_id: Uuid,
    pub display_name: Option<String>,
    pub logo: Option<String>,
    pub accent: Option<String>,
    /// The lightened accent the dark palette uses.
    pub accent_dark: Option<String>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_url: Option<String>,
}

/// Checks `actor`'s right, validates every field (nothing is written if one is wrong), then
/// writes the branding, the logo and the audit event in one transaction.
pub async fn set_branding(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    input: BrandingInput,
) -> Result<BrandingView, AppError> {
    actor.require(Scope::OrgsWrite, Reach::Org(input.org_id))?;
    let org = organizations::find_by_id(&state.db, input.org_id)
        .await?
        .ok_or(AppError::NotFound("Organization not found"))?;

    let display_name = checked(input.display_name, |name| {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            Err("the display name must have 1 to 80 characters".to_owned())
        } else {
            Ok(name.to_owned())
        }
    })?;
    let accent = checked(input.accent, |raw| {
        Accent::parse(&raw).map(|a| a.light.hex())
    })?;
    let support_url = checked(input.support_url, |u| {
        branding::https_url(&u, "support URL")
    })?;
    let privacy_url = checked(input.privacy_url, |u| {
        branding::https_url(&u, "privacy URL")
    })?;
    let terms_url = checked(input.terms_url, |u| branding::https_url(&u, "terms URL"))?;
    let logo = checked(input.logo, |logo| match logo {
        Logo::Upload(bytes) => {
            let content_type = branding::logo_type(&bytes)?;
            Ok((Logo::Upload(bytes), content_type))
        }
        Logo::Url(url) => Ok((Logo::Url(branding::https_url(&url, "logo URL")?), "")),
    })?;

    let txn = crate::store::begin(&state.writer).await?;
    let mut row = org_branding::find(&txn, org.id)
        .await?
        .unwrap_or_else(|| OrgBranding {
            org_id: org.id,
            display_name: None,
            logo_url: None,
            accent: None,
            support_url: None,
            privacy_url: None,
            terms_url: None,
            updated_at: crate::store::now(),
        });
    let mut changed = Vec::new();
    apply(
        &mut row.display_name,
        display_name,
        "display_name",
        &mut changed,
    );
    apply(&mut row.accent, accent, "accent", &mut changed);
    apply(
        &mut row.support_url,
        support_url,
        "support_url",
        &mut changed,
    );
    apply(
        &mut row.privacy_url,
        privacy_url,
        "privacy_url",
        &mut changed,
    );
    apply(&mut row.terms_url, terms_url, "terms_url", &mut changed);
    let mut logo_details = serde_json::Value::Null;
    match logo {
        None => {}
        Some(Change::Set((Logo::Upload(bytes), content_type))) => {
            let sha = branding::digest(&bytes);
            logo_details = serde_json::json!({
                "content_type": content_type, "bytes": bytes.len(), "sha256": sha,
            });
            org_branding::put_logo(&txn, org.id, content_type, &sha, bytes).await?;
            row.logo_url = None;
            changed.push("logo");
        }
        Some(Change::Set((Logo::Url(url), _))) => {
            org_branding::delete_logo(&txn, org.id).await?;
            logo_details = serde_json::json!({ "url": url });
            row.logo_url = Some(url);
            changed.push("logo");
        }
        Some(Change::Clear) => {
            org_branding::delete_logo(&txn, org.id).await?;
            row.logo_url = None;
            changed.push("logo");
        }
    }
    org_branding::upsert(&txn, row.clone()).await?;
    audit::record(
        &txn,
        AuditEvent::new("org.branding_updated", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({ "changed": changed, "logo": logo_details })),
    )
    .await?;
    txn.commit().await?;

    let logo = match org_branding::logo_digest(&state.db, org.id).await? {
        Some(sha) => Some(format!("uploaded ({sha})")),
        None => row.logo_url.clone(),
    };
    Ok(BrandingView {
        org_id: org.id,
        accent_dark: row
            .accent
            .as_deref()
            .and_then(|a| Accent::parse(a).ok())
            .map(|a| a.dark.hex()),
        display_name: row.display_name,
        logo,
        accent: row.accent,
        support_url: row.support_url,
        privacy_url: row.privacy_url,
        terms_url: row.terms_url,
    })
}

/// Validates a `Set` value; a wrong one is the API's 400 with the reason.
fn checked<T, U>(
    change: Option<Change<T>>,
    check: impl FnOnce(T) -> Result<U, String>,
) -> Result<Option<Change<U>>, AppError> {
    Ok(match change {
        None => None,
        Some(Change::Clear) => Some(Change::Clear),
        Some(Change::Set(value)) => Some(Change::Set(check(value).map_err(AppError::invalid)?)),
    })
}

fn apply(
    field: &mut Option<String>,
    change: Option<Change<String>>,
    name: &'static str,
    changed: &mut Vec<&'static str>,
) {
    match change {
        None => {}
        Some(Change::Set(value)) => {
            *field = Some(value);
            changed.push(name);
        }
        Some(Change::Clear) => {
            *field = None;
            changed.push(name);
        }
    }
}
