//! The device code grant (RFC 8628 §3.4-3.5): polling at the token endpoint, and the audit
//! trail of a device code (issued, decided, expired, tokens issued), which the device
//! authorization side in `oidc::device` records through here.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use super::{GrantError, Presented};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::keys::hash_token;
use crate::oidc::clients::Client;
use crate::oidc::issue::{self, UserTokens};
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::store::device_codes::{self, DeviceCode, DeviceStatus};

/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval.
pub const SLOW_DOWN_SECS: i32 = 5;

/// Tokens are issued once, to the client the code was issued to; the answer before approval is
/// `authorization_pending`, or `slow_down` for a poll within the code's interval.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id()))]
pub async fn exchange(
    state: &AppState,
    client: &Client,
    raw: &str,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    let row = device_codes::find_by_hash(&state.db, &hash_token(raw))
        .await?
        .filter(|row| row.service_id == client.service.id)
        .ok_or(GrantError::Unknown(Presented::DeviceCode))?;
    let now = crate::store::now();
    match row.status {
        DeviceStatus::Consumed => Err(GrantError::Used(Presented::DeviceCode)),
        DeviceStatus::Denied => Err(GrantError::Denied),
        DeviceStatus::Expired => Err(GrantError::Expired(Presented::DeviceCode)),
        _ if row.expires_at <= now => {
            record_expiry(state, client, &row, meta).await?;
            Err(GrantError::Expired(Presented::DeviceCode))
        }
        DeviceStatus::Pending => Err(poll_pending(state, &row, now).await?),
        DeviceStatus::Approved => issue_tokens(state, client, &row, now, meta).await,
    }
}

/// `authorization_pending`, or `slow_down` (and a longer interval for this code) when polled
/// within the interval or concurrently with another poll.
async fn poll_pending(
    state: &AppState,
    row: &DeviceCode,
    now: DateTime<Utc>,
) -> Result<GrantError, DbErr> {
    let interval = chrono::Duration::seconds(i64::from(row.interval_secs));
    let too_early = row.last_polled_at.is_some_and(|last| now - last < interval);
    if too_early || !device_codes::record_poll(&state.db, row.id, row.last_polled_at, now).await? {
        device_codes::slow_down(&state.db, row.id, SLOW_DOWN_SECS, now).await?;
        let wait = u64::try_from(row.interval_secs.saturating_add(SLOW_DOWN_SECS)).unwrap_or(0);
        return Ok(GrantError::SlowDown(Duration::from_secs(wait)));
    }
    Ok(GrantError::Pending)
}

async fn issue_tokens(
    state: &AppState,
    client: &Client,
    row: &DeviceCode,
    now: DateTime<Utc>,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    let inactive = GrantError::UserInactive(Presented::DeviceCode);
    let user_id = row.user_id.ok_or(inactive)?;
    let user = issue::active_user(&state.db, user_id)
        .await?
        .ok_or(GrantError::UserInactive(Presented::DeviceCode))?;
    let scope = ScopeSet::from_stored(&row.scope);
    let amr = row.amr_list();
    // No `sid`: the device is not part of the browser session that approved it, so signing
    // out there does not sign the device out.
    let auth_time = row.auth_time.unwrap_or(row.created_at);
    let tokens = UserTokens::new(client, &user, &scope, auth_time, &amr).grant(Some(row.id));
    let minted = issue::mint(state, tokens).await?;
    let txn = crate::store::begin(&state.writer).await?;
    // Consumed in the transaction that stores the refresh token: exactly one poll wins.
    if !device_codes::consume(&txn, row.id, now).await? {
        return Err(GrantError::Used(Presented::DeviceCode));
    }
    let issued = minted.store(&txn).await?;
    let record = event("device.tokens_issued", Outcome::Success, meta, client, row);
    audit::record(&txn, record.user(user.id)).await?;
    txn.commit().await?;
    Ok(issued.response)
}

/// Marks a code expired; the first caller to do so audits it.
pub async fn record_expiry(
    state: &AppState,
    client: &Client,
    row: &DeviceCode,
    meta: &RequestMeta,
) -> Result<(), DbErr> {
    let txn = crate::store::begin(&state.writer).await?;
    if device_codes::expire(&txn, row.id).await? {
        let record = event("device.code_expired", Outcome::Failure, meta, client, row);
        audit::record(&txn, record).await?;
    }
    txn.commit().await
}

/// The audit event of something that happened to a device code.
pub fn event<'a>(
    action: &'a str,
    outcome: Outcome,
    meta: &'a RequestMeta,
    client: &Client,
    row: &DeviceCode,
) -> AuditEvent<'a> {
    let mut event = AuditEvent::new(action, outcome, meta).details(serde_json::json!({
        "client_id": client.client_id(),
        "device_code_id": row.id,
        "scope": row.scope,
    }));
    event.org_id = Some(client.org.id);
    event
}
