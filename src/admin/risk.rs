//! Risk policy of an organization: force a second sign-in step on untrusted devices.
use serde::Serialize;

use super::{Actor, Reach, Scope};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{org_risk_policies, organizations};

#[derive(Debug, Serialize)]
pub struct OrgRiskPolicy {
    pub org: String,
    pub step_up_untrusted_devices: bool,
}

/// Turns "every sign-in of a member from an untrusted device needs a second step" on or off
/// for the organization `org_slug`; the change and its audit event commit together.
pub async fn set_step_up_untrusted(
    state: &AppState,
    actor: &Actor,
    org_slug: &str,
    on: bool,
    meta: &RequestMeta,
) -> Result<OrgRiskPolicy, AppError> {
    let org = organizations::find_by_slug(&state.db, org_slug)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no organization with slug {org_slug:?}")))?;
    actor.require(Scope::OrgsWrite, Reach::Org(org.id))?;
    let txn = crate::store::begin(&state.writer).await?;
    org_risk_policies::set_step_up_untrusted(&txn, org.id, on).await?;
    audit::record(
        &txn,
        AuditEvent::new("org.risk_policy_changed", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({ "step_up_untrusted_devices": on })),
    )
    .await?;
    txn.commit().await?;
    Ok(OrgRiskPolicy {
        org: org.slug,
        step_up_untrusted_devices: on,
    })
}

/// The organization's current policy (defaults when it never changed one).
pub async fn policy(
    state: &AppState,
    actor: &Actor,
    org_slug: &str,
) -> Result<OrgRiskPolicy, AppError> {
    let org = organizations::find_by_slug(&state.db, org_slug)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no organization with slug {org_slug:?}")))?;
    actor.require(Scope::OrgsRead, Reach::Org(org.id))?;
    Ok(OrgRiskPolicy {
        step_up_untrusted_devices: org_risk_policies::step_up_untrusted(&state.db, org.id).await?,
        org: org.slug,
    })
}
