//! Organization plans (platform owners) and role definitions (org admins): what a member's
//! token carries as `plan`, `features`, `roles` and `permissions`.
use serde::Serialize;

use super::orgs::find_for;
use super::{Actor, Invalidation, Reach, Scope, commit_and_invalidate};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations::{self, Organization};
use crate::store::{from_json_list, org_roles};

/// At most this many permissions per role, features per org.
const MAX_NAMES: usize = 100;

/// A role, permission or feature name: 1 to 64 of `a-z A-Z 0-9 _ - . : * /`.
fn check_name(kind: &str, name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:*/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "{kind} {name:?} must be 1 to 64 characters of letters, digits and _ - . : * /"
        )))
    }
}

fn check_names(kind: &str, names: &[String]) -> Result<Vec<String>, AppError> {
    if names.len() > MAX_NAMES {
        return Err(AppError::invalid(format!(
            "at most {MAX_NAMES} {kind}s are allowed"
        )));
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        check_name(kind, name)?;
        out.push(name.clone());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct OrgPlan {
    pub org: String,
    pub plan: Option<String>,
    pub features: Vec<String>,
}

impl From<&Organization> for OrgPlan {
    fn from(org: &Organization) -> Self {
        Self {
            org: org.slug.clone(),
            plan: org.plan.clone(),
            features: from_json_list(&org.features),
        }
    }
}

/// Sets an organization's plan (`None` clears it) and features: platform owners only.
pub async fn set_plan(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    plan: Option<&str>,
    features: &[String],
) -> Result<OrgPlan, AppError> {
    actor.require(Scope::OrgsWrite, Reach::Platform)?;
    let org = super::orgs::find(state, slug).await?;
    let plan = plan.map(str::trim).filter(|p| !p.is_empty());
    if let Some(plan) = plan {
        check_name("plan", plan)?;
    }
    let features = check_names("feature", features)?;
    let txn = crate::store::begin(&state.writer).await?;
    organizations::set_plan(&txn, org.id, plan, &features).await?;
    audit::record(
        &txn,
        AuditEvent::new("org.plan_set", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({"plan": plan, "features": features})),
    )
    .await?;
    // The client cache holds the organization row that tokens read `plan` from.
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await?;
    Ok(OrgPlan {
        org: org.slug,
        plan: plan.map(str::to_owned),
        features,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RoleDefinition {
    pub role: String,
    pub permissions: Vec<String>,
}

impl From<org_roles::OrgRole> for RoleDefinition {
    fn from(row: org_roles::OrgRole) -> Self {
        Self {
            role: row.role,
            permissions: from_json_list(&row.permissions),
        }
    }
}

pub async fn list_roles(
    state: &AppState,
    actor: &Actor,
    slug: &str,
) -> Result<Vec<RoleDefinition>, AppError> {
    let org = find_for(state, actor, Scope::OrgsRead, slug).await?;
    Ok(org_roles::list(&state.db, org.id)
        .await?
        .into_iter()
        .map(RoleDefinition::from)
        .collect())
}

/// Defines a role of the organization or replaces its permissions. Members' next tokens carry
/// the change (the token endpoint reads the definitions; nothing is cached).
pub async fn define_role(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    role: &str,
    permissions: &[String],
) -> Result<RoleDefinition, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, slug).await?;
    super::members::valid_role_name(role)?;
    let permissions = check_names("permission", permissions)?;
    let txn = crate::store::begin(&state.writer).await?;
    org_roles::upsert(&txn, org.id, role, &permissions).await?;
    audit::record(
        &txn,
        AuditEvent::new("org.role_defined", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({"role": role, "permissions": permissions})),
    )
    .await?;
    txn.commit().await?;
    Ok(RoleDefinition {
        role: role.to_owned(),
        permissions,
    })
}

/// Deletes a role definition; members keep the role name, which then grants no permission.
pub async fn delete_role(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    slug: &str,
    role: &str,
) -> Result<(), AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, slug).await?;
    let txn = crate::store::begin(&state.writer).await?;
    if !org_roles::delete(&txn, org.id, role).await? {
        return Err(AppError::NotFound("Role not found"));
    }
    audit::record(
        &txn,
        AuditEvent::new("org.role_deleted", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({"role": role})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
