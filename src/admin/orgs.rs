//! Organizations: create and list (platform), read, rename, suspend / resume, MFA and sign-up
//! policies.
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Actor, Invalidation, Reach, Scope, commit_and_invalidate, conflict_or};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{RequestMeta, Slug};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::entities::users::AccountStatus;
use crate::store::organizations::{self, Organization, SignUpPolicy};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// 2-63 lower-case letters, digits and single dashes.
    pub slug: String,
    pub name: String,
}

/// What may change; absent fields stay as they are. Only a platform owner changes `status`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUpdate {
    pub name: Option<String>,
    pub status: Option<OrgStatus>,
    /// Every member must use a second factor to sign in.
    pub mfa_required: Option<bool>,
    /// Who may create an account on the sign-in pages of the organization's services.
    pub sign_up_policy: Option<SignUpPolicyView>,
}

/// `open`: anyone may register; `invite_only`: only people the admins invite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignUpPolicyView {
    Open,
    InviteOnly,
}

impl From<SignUpPolicyView> for SignUpPolicy {
    fn from(view: SignUpPolicyView) -> Self {
        match view {
            SignUpPolicyView::Open => SignUpPolicy::Open,
            SignUpPolicyView::InviteOnly => SignUpPolicy::InviteOnly,
        }
    }
}

impl From<SignUpPolicy> for SignUpPolicyView {
    fn from(policy: SignUpPolicy) -> Self {
        match policy {
            SignUpPolicy::Open => SignUpPolicyView::Open,
            SignUpPolicy::InviteOnly => SignUpPolicyView::InviteOnly,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrgStatus {
    Active,
    /// Its users cannot sign in to its services (`ORGANIZATION_NOT_ACTIVE`).
    Suspended,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// `active`, `suspended` (or `disabled`).
    pub status: String,
    pub mfa_required: bool,
    pub sign_up_policy: SignUpPolicyView,
    pub created_at: DateTime<Utc>,
}

impl From<&Organization> for OrgView {
    fn from(o: &Organization) -> Self {
        Self {
            id: o.id,
            slug: o.slug.clone(),
            name: o.name.clone(),
            status: o.status.as_str().to_owned(),
            mfa_required: o.mfa_required,
            sign_up_policy: o.sign_up_policy.into(),
            created_at: o.created_at,
        }
    }
}

/// The organization named by `slug`, or 404.
pub async fn find(state: &AppState, slug: &str) -> Result<Organization, AppError> {
    organizations::find_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound("Organization not found"))
}

/// The organization named by `slug`, once `actor` may use `scope` on it. An actor with no
/// right on it gets the same 403 whether or not it exists.
pub async fn find_for(
    state: &AppState,
    actor: &Actor,
    scope: Scope,
    slug: &str,
) -> Result<Organization, AppError> {
    let org = organizations::find_by_slug(&state.db, slug).await?;
    match org {
        Some(org) => {
            actor.require(scope, Reach::Org(org.id))?;
            Ok(org)
        }
        None => {
            actor.require(scope, Reach::Platform)?;
            Err(AppError::NotFound("Organization not found"))
        }
    }
}

/// An organization's display name: 1 to 200 characters once trimmed.
pub fn valid_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(
            "an organization needs a name of 1 to 200 characters",
        ));
    }
    Ok(name)
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewOrg,
) -> Result<OrgView, AppError> {
    actor.require(Scope::OrgsWrite, Reach::Platform)?;
    let slug = Slug::parse(&input.slug).map_err(AppError::invalid)?;
    let name = valid_name(&input.name)?;
    let txn = crate::store::begin(&state.writer).await?;
    let org = organizations::insert(&txn, slug.as_str(), name)
        .await
        .map_err(|e| conflict_or(e, "an organization with this slug"))?;
    audit::record(
        &txn,
        AuditEvent::new("admin.org.created", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({ "slug": org.slug, "name": org.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(OrgView::from(&org))
}

/// Every organization for a platform-wide actor; the ones it administers otherwise.
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<OrgView>, AppError> {
    let all = organizations::list(&state.db).await?;
    if actor.may(Scope::OrgsRead, Reach::Platform) {
        return Ok(all.iter().map(OrgView::from).collect());
    }
    let own: Vec<OrgView> = all
        .iter()
        .filter(|o| actor.may(Scope::OrgsRead, Reach::Org(o.id)))
        .map(OrgView::from)
        .collect();
    if own.is_empty() {
        actor.require(Scope::OrgsRead, Reach::Platform)?;
    }
    Ok(own)
}

pub async fn get(state: &AppState, actor: &Actor, slug: &str) -> Result<OrgView, AppError> {
    let org = find_for(state, actor, Scope::OrgsRead, slug).await?;
    Ok(OrgView::from(&org))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    input: OrgUpdate,
) -> Result<OrgView, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, slug).await?;
    if input.status.is_some() {
        // Suspending cuts every user of the organization off: a platform decision.
        actor.require(Scope::OrgsWrite, Reach::Platform)?;
    }
    if input.name.is_none()
        && input.status.is_none()
        && input.mfa_required.is_none()
        && input.sign_up_policy.is_none()
    {
        return Err(AppError::invalid(
            "nothing to change: give name, status, mfa_required and/or sign_up_policy",
        ));
    }
    let name = input.name.as_deref().map(valid_name).transpose()?;
    let status = input.status.map(|s| match s {
        OrgStatus::Active => AccountStatus::Active,
        OrgStatus::Suspended => AccountStatus::Suspended,
    });
    let txn = crate::store::begin(&state.writer).await?;
    let target = format!("org:{}", org.id);
    if name.is_some() || status.is_some() {
        organizations::update(&txn, org.id, name, status).await?;
        let action = match input.status {
            Some(OrgStatus::Suspended) if org.status != AccountStatus::Suspended => {
                "admin.org.suspended"
            }
            Some(OrgStatus::Active) if org.status != AccountStatus::Active => "admin.org.resumed",
            _ => "admin.org.updated",
        };
        audit::record(
            &txn,
            AuditEvent::new(action, Outcome::Success, meta)
                .by(actor, target.clone(), Some(org.id))
                .details(serde_json::json!({ "name": name, "status": input.status })),
        )
        .await?;
    }
    if let Some(required) = input.mfa_required {
        record_mfa_policy(&txn, actor, meta, &org, required).await?;
    }
    if let Some(policy) = input.sign_up_policy {
        record_sign_up_policy(&txn, actor, meta, &org, policy.into()).await?;
    }
    let updated = organizations::find_by_id(&txn, org.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await?;
    Ok(OrgView::from(&updated))
}

/// Requires (or stops requiring) two-step sign-in of every member.
pub async fn set_mfa_required(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    required: bool,
) -> Result<(), AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, slug).await?;
    let txn = crate::store::begin(&state.writer).await?;
    record_mfa_policy(&txn, actor, meta, &org, required).await?;
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await
}

async fn record_mfa_policy(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    org: &Organization,
    required: bool,
) -> Result<(), AppError> {
    organizations::set_mfa_required(txn, org.id, required).await?;
    audit::record(
        txn,
        AuditEvent::new("admin.org.mfa_policy_changed", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({ "mfa_required": required })),
    )
    .await?;
    Ok(())
}

/// Sets who may create an account from the organization's sign-in pages (`/register` with one
/// of its services in the sign-in context). Cached clients carry the organization row, so they
/// are invalidated.
pub async fn set_sign_up_policy(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    policy: SignUpPolicy,
) -> Result<(), AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, slug).await?;
    let txn = crate::store::begin(&state.writer).await?;
    record_sign_up_policy(&txn, actor, meta, &org, policy).await?;
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await
}

async fn record_sign_up_policy(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    org: &Organization,
    policy: SignUpPolicy,
) -> Result<(), AppError> {
    organizations::set_sign_up_policy(txn, org.id, policy).await?;
    audit::record(
        txn,
        AuditEvent::new("admin.org.sign_up_policy_changed", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({ "sign_up_policy": policy.as_str() })),
    )
    .await?;
    Ok(())
}
