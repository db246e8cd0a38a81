//! Periodic upkeep that keeps storage bounded, run by the task in `startup.rs` on every
//! instance (the deletes are idempotent, so instances sharing a database do not conflict).
use std::time::Duration;

use sea_orm::DbErr;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::state::AppState;
use crate::store::cleanup::{self, Cutoffs, Deleted};

pub mod memory;

/// Short-lived rows stay this long past their expiry, so a late request still gets "expired"
/// rather than "unknown" for a while.
const GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// Codes and device codes stay a day past their expiry (see `Cutoffs`).
const CODE_GRACE: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Deletes expired rows and mail older than `mail.retention_days`.
pub async fn prune_expired(state: &AppState) -> Result<Deleted, DbErr> {
    let now = crate::store::now();
    let cut = Cutoffs {
        expired_before: now - GRACE,
        codes_expired_before: now - CODE_GRACE,
        mail_before: now - chrono::TimeDelta::days(state.settings.mail.retention_days),
    };
    let deleted = cleanup::delete_expired(&state.db, &cut).await?;
    state.revoked.prune(now);
    if state.settings.rate_limit.backend == "postgres" {
        // Counters of ended windows (the longest window is an hour).
        crate::store::rate_limit_counters::prune(&state.db, 3600).await?;
    }
    if deleted.total() > 0 {
        tracing::info!(?deleted, "deleted expired rows");
    }
    // The risk history and ended trusted devices (auth::devices).
    let history_before = now - chrono::TimeDelta::days(crate::auth::devices::HISTORY_DAYS);
    let attempts = crate::store::sign_in_attempts::delete_before(&state.db, history_before).await?;
    let devices = crate::store::trusted_devices::delete_ended(&state.db, now - GRACE).await?;
    if attempts + devices > 0 {
        tracing::info!(
            attempts,
            devices,
            "deleted old sign-in history and ended devices"
        );
    }
    Ok(deleted)
}

/// Writes one audit row for the requests refused by rate limits since the last call (none
/// when nothing was refused). Throttled requests write nothing themselves, so a flood costs
/// one row per window instead of one per request. Returns the number of refusals.
pub async fn audit_refusals(state: &AppState, window: Duration) -> Result<u64, DbErr> {
    let refused = state.limits.take_refusals();
    let total: u64 = refused.values().sum();
    if total == 0 {
        return Ok(0);
    }
    let meta = RequestMeta::default();
    let event = AuditEvent::new("rate_limit.refused", Outcome::Failure, &meta)
        .details(serde_json::json!({ "window_seconds": window.as_secs(), "refused": refused }));
    if let Err(e) = audit::record(&state.db, event).await {
        // Put nothing back: a failing database must not make the tally grow without bound.
        tracing::warn!(total, "could not audit rate-limit refusals");
        return Err(e);
    }
    Ok(total)
}
