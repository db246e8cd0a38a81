//! Reading the audit trail: filters and cursor paging. Platform-wide readers see every event;
//! an org admin (or an org's token) must name their organization and sees only its events.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::orgs::find_for;
use super::{Actor, Reach, Scope};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::audit_events::{self, AuditEvent, AuditFilter};

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

/// What a caller asks for; all optional.
#[derive(Debug, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    /// An organization's slug.
    pub org: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub action: String,
    pub outcome: String,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub org_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            action: e.action,
            outcome: e.outcome,
            actor: e.actor,
            target: e.target,
            org_id: e.org_id,
            ip: e.ip,
            user_agent: e.user_agent,
            details: e.details.and_then(|d| serde_json::from_str(&d).ok()),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", at.timestamp_micros()))
}

fn decode_cursor(raw: &str) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let bad = || AppError::invalid("cursor is not one this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (micros, id) = text.split_once(':').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: AuditQuery,
) -> Result<AuditPage, AppError> {
    let org_id = match query.org.as_deref() {
        Some(slug) => Some(find_for(state, actor, Scope::AuditRead, slug).await?.id),
        None => {
            // Without an org, only a platform-wide reader: an org admin names their org.
            actor.require(Scope::AuditRead, Reach::Platform)?;
            None
        }
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    if let (Some(since), Some(until)) = (query.since, query.until)
        && since >= until
    {
        return Err(AppError::invalid("since must be before until"));
    }
    if let Some(outcome) = query.outcome.as_deref()
        && !matches!(outcome, "success" | "failure")
    {
        return Err(AppError::invalid("outcome must be success or failure"));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = AuditFilter {
        actor: query.actor,
        target: query.target,
        action: query.action,
        org_id,
        outcome: query.outcome,
        since: query.since,
        until: query.until,
    };
    // One row more than asked says whether a next page exists.
    let mut rows = audit_events::search(&state.db, &filter, after, limit + 1).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|e| encode_cursor(e.occurred_at, e.id))
    } else {
        None
    };
    Ok(AuditPage {
        events: rows.into_iter().map(AuditEventView::from).collect(),
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(decode_cursor(&encode_cursor(at, id)).unwrap(), (at, id));
        for bad in [
            "",
            "!!",
            "bm90LWEtY3Vyc29y",
            &URL_SAFE_NO_PAD.encode("12:nope"),
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
