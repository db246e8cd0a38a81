//! Polling at the token endpoint (RFC 8628 §3.4-3.5).
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use super::{SLOW_DOWN_SECS, event, record_expiry};
use crate::audit::{self, Outcome};
use crate::domain::RequestMeta;
use crate::keys::hash_token;
use crate::oidc::clients::Client;
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::grants::{UserTokens, issue_user_tokens};
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::store::device_codes::{self, DeviceCode, DeviceStatus};
use crate::store::{from_json_list, users};

/// The token endpoint's device grant (RFC 8628 §3.4-3.5). Tokens are issued once, to the
/// client the code was issued to; the answer before approval is `authorization_pending`, or
/// `slow_down` for a poll within the code's interval.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id()), err(level = "debug"))]
pub async fn exchange(
    state: &AppState,
    client: &Arc<Client>,
    raw: &str,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let invalid = || OAuthError::invalid_grant("the device code is invalid");
    let row = device_codes::find_by_hash(&state.db, &hash_token(raw))
        .await?
        .filter(|row| row.service_id == client.service.id)
        .ok_or_else(invalid)?;
    let now = crate::store::now();
    let expired = || OAuthError::new(OAuthErrorCode::ExpiredToken, "the device code has expired");
    match row.status {
        DeviceStatus::Consumed => Err(OAuthError::invalid_grant(
            "the device code has already been used",
        )),
        DeviceStatus::Denied => Err(OAuthError::new(
            OAuthErrorCode::AccessDenied,
            "the user denied the request",
        )),
        DeviceStatus::Expired => Err(expired()),
        _ if row.expires_at <= now => {
            record_expiry(state, client, &row, meta).await?;
            Err(expired())
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
) -> Result<OAuthError, DbErr> {
    let interval = chrono::Duration::seconds(i64::from(row.interval_secs));
    let too_early = row.last_polled_at.is_some_and(|last| now - last < interval);
    if too_early || !device_codes::record_poll(&state.db, row.id, row.last_polled_at, now).await? {
        device_codes::slow_down(&state.db, row.id, SLOW_DOWN_SECS, now).await?;
        let wait = u64::try_from(row.interval_secs.saturating_add(SLOW_DOWN_SECS)).unwrap_or(0);
        return Ok(OAuthError {
            retry_after: Some(Duration::from_secs(wait)),
            ..OAuthError::new(
                OAuthErrorCode::SlowDown,
                format!("poll at most every {wait} seconds"),
            )
        });
    }
    Ok(OAuthError::new(
        OAuthErrorCode::AuthorizationPending,
        "the user has not yet approved this device",
    ))
}

async fn issue_tokens(
    state: &AppState,
    client: &Arc<Client>,
    row: &DeviceCode,
    now: DateTime<Utc>,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let inactive = || OAuthError::invalid_grant("the user is no longer active");
    let user_id = row.user_id.ok_or_else(inactive)?;
    let user = users::find_by_id(&state.db, user_id)
        .await?
        .filter(|u| u.status == "active")
        .ok_or_else(inactive)?;
    let scope = ScopeSet::parse(&row.scope).unwrap_or_default();
    let amr = row.amr.as_deref().map(from_json_list).unwrap_or_default();
    let txn = crate::store::begin(&state.db).await?;
    // Consumed in the transaction that stores the refresh token: exactly one poll wins.
    if !device_codes::consume(&txn, row.id, now).await? {
        return Err(OAuthError::invalid_grant(
            "the device code has already been used",
        ));
    }
    let issued = issue_user_tokens(
        state,
        &txn,
        UserTokens {
            client,
            user: &user,
            scope: &scope,
            refresh_scope: &scope,
            auth_time: row.auth_time.unwrap_or(row.created_at),
            amr: &amr,
            // The device is not part of the browser session that approved it: signing out
            // there does not sign the device out.
            sid: None,
            nonce: None,
            grant_id: Some(row.id),
            family: None,
        },
    )
    .await?;
    let record = event("device.tokens_issued", Outcome::Success, meta, client, row);
    audit::record(&txn, record.user(user.id)).await?;
    txn.commit().await?;
    Ok(issued.response)
}
