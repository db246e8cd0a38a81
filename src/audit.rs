//! Security events: written in the same transaction as the change they describe, and mirrored to
//! the `audit` tracing target.
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::RequestMeta;
use crate::store::audit_events::{self, NewAuditEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One audit record. `action` is a stable dotted name such as `user.login`.
pub struct AuditEvent<'a> {
    pub action: &'a str,
    pub outcome: Outcome,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub org_id: Option<Uuid>,
    pub meta: &'a RequestMeta,
    pub details: Option<serde_json::Value>,
}

impl<'a> AuditEvent<'a> {
    pub fn new(action: &'a str, outcome: Outcome, meta: &'a RequestMeta) -> Self {
        Self {
            action,
            outcome,
            actor: None,
            target: None,
            org_id: None,
            meta,
            details: None,
        }
    }

    pub fn user(mut self, user_id: Uuid) -> Self {
        self.actor = Some(format!("user:{user_id}"));
        self.target = Some(format!("user:{user_id}"));
        self
    }

    /// An admin operation: `actor` acted on `target` (e.g. `service:<id>`) in `org`.
    pub fn by(mut self, actor: &crate::admin::Actor, target: String, org_id: Option<Uuid>) -> Self {
        self.actor = Some(actor.audit_ref());
        self.target = Some(target);
        self.org_id = org_id;
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

pub async fn record<C: ConnectionTrait>(db: &C, event: AuditEvent<'_>) -> Result<(), DbErr> {
    tracing::info!(
        target: "audit",
        action = event.action,
        outcome = event.outcome.as_str(),
        actor = event.actor.as_deref(),
        target_ref = event.target.as_deref(),
        ip = event.meta.ip_string(),
    );
    audit_events::insert(
        db,
        NewAuditEvent {
            id: Set(Uuid::new_v4()),
            occurred_at: Set(crate::store::now()),
            actor: Set(event.actor),
            action: Set(event.action.to_owned()),
            target: Set(event.target),
            org_id: Set(event.org_id),
            ip: Set(event.meta.ip_string()),
            user_agent: Set(event.meta.user_agent.clone()),
            outcome: Set(event.outcome.as_str().to_owned()),
            details: Set(event.details.map(|d| d.to_string())),
        },
    )
    .await
}
