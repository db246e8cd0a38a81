//! The device authorization grant (RFC 8628): issuing device and user codes and the person's
//! decision on the verification page. Polling is the token endpoint's device grant
//! (`oidc::grants::device_code`); the seed-004 JSON variants, which share the same rows and
//! rules and differ only in their answers, are in `seed`.
mod seed;

pub use seed::{DeviceContext, JsonClient, JsonPoll, authorize_json, poll_json, verify_json};

use std::sync::Arc;

use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use uuid::Uuid;

use super::clients::{Client, ClientCredentials};
use super::error::{OAuthError, OAuthErrorCode};
use super::grants::GrantType;
use super::grants::device_code::{event, record_expiry};
use super::scope::ScopeSet;
use crate::audit::{self, Outcome};
use crate::domain::{RequestMeta, UserCode};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::browser_sessions::BrowserSession;
use crate::store::device_codes::{self, Approval, DeviceCode, DeviceStatus};
use crate::store::users::User;
use crate::store::{organizations, services, totp_credentials};

/// RFC 8628 §3.2 `expires_in`.
pub const LIFETIME_SECS: i64 = 900;
/// RFC 8628 §3.2 `interval`: the minimum wait between polls.
pub const INTERVAL_SECS: i32 = 5;
/// Granted when the client asks for no scope (RFC 6749 §3.3), less what it may not have.
const DEFAULT_SCOPE: [&str; 3] = ["openid", "profile", "email"];
/// How a person can sign in on the verification page today.
pub const SIGN_IN_METHODS: [&str; 1] = ["password"];
/// Fresh user codes collide with live ones about once in 10^10; retry a few times.
const INSERT_ATTEMPTS: usize = 5;

/// The answer of both device authorization endpoints (RFC 8628 §3.2).
#[derive(Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i32,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// `POST /device_authorization`: the client authenticates as at the token endpoint (public
/// clients by `client_id` alone) and must be allowed the device grant.
#[tracing::instrument(skip_all, fields(client_id = %credentials.client_id), err(level = "debug"))]
pub async fn authorize(
    state: &AppState,
    credentials: ClientCredentials,
    scope: Option<&str>,
    meta: &RequestMeta,
) -> Result<DeviceAuthorization, OAuthError> {
    let client = state.clients.authenticate(&state.db, &credentials).await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "this client may not use the device authorization grant",
        ));
    }
    let scope = requested_scope(&client, scope)?;
    let verification_uri = client
        .service
        .device_activation_uri
        .clone()
        .unwrap_or_else(|| state.url("/device"));
    Ok(issue(state, &client, &scope, verification_uri, meta).await?)
}

fn requested_scope(client: &Client, raw: Option<&str>) -> Result<ScopeSet, OAuthError> {
    let Some(raw) = raw.filter(|s| !s.trim().is_empty()) else {
        return Ok(default_scope(client));
    };
    let scope = ScopeSet::parse(raw)
        .ok_or_else(|| OAuthError::invalid_scope("scope has invalid characters"))?;
    if !scope.is_subset_of(&client.allowed_scopes) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    Ok(scope)
}

fn default_scope(client: &Client) -> ScopeSet {
    let scopes: Vec<String> = DEFAULT_SCOPE
        .iter()
        .filter(|s| client.allowed_scopes.contains(s))
        .map(|s| (*s).to_owned())
        .collect();
    ScopeSet::from_list(&scopes)
}

/// Stores a new authorization (device code hashed) and audits it in the same transaction.
async fn issue(
    state: &AppState,
    client: &Client,
    scope: &ScopeSet,
    verification_uri: String,
    meta: &RequestMeta,
) -> Result<DeviceAuthorization, AppError> {
    // Every request stores a code: limited per client IP like the other unauthenticated writes.
    state.limits.check_request(meta.ip).await?;
    let device_code = random_token();
    for _ in 0..INSERT_ATTEMPTS {
        let user_code = UserCode::generate();
        let now = crate::store::now();
        let row = DeviceCode {
            id: Uuid::new_v4(),
            device_code_hash: hash_token(&device_code),
            user_code: user_code.as_str().to_owned(),
            service_id: client.service.id,
            scope: scope.to_string(),
            status: DeviceStatus::Pending,
            user_id: None,
            session_id: None,
            auth_time: None,
            amr: None,
            interval_secs: INTERVAL_SECS,
            last_polled_at: None,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(LIFETIME_SECS),
        };
        let txn = crate::store::begin(&state.writer).await?;
        match device_codes::insert(&txn, row).await {
            Ok(row) => {
                audit::record(
                    &txn,
                    event("device.code_issued", Outcome::Success, meta, client, &row),
                )
                .await?;
                txn.commit().await?;
                return Ok(DeviceAuthorization {
                    verification_uri_complete: complete_uri(&verification_uri, &user_code),
                    device_code,
                    user_code: user_code.display(),
                    verification_uri,
                    expires_in: LIFETIME_SECS,
                    interval: INTERVAL_SECS,
                });
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                tracing::warn!("user code collision; drawing another");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Unexpected(anyhow::anyhow!(
        "no free user code after {INSERT_ATTEMPTS} attempts"
    )))
}

/// RFC 8628 §3.3.1: the verification URI with the user code, for QR codes and links.
fn complete_uri(verification_uri: &str, user_code: &UserCode) -> String {
    match url::Url::parse(verification_uri) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("user_code", &user_code.display());
            url.to_string()
        }
        Err(_) => format!("{verification_uri}?user_code={}", user_code.display()),
    }
}

/// Why a typed user code cannot be decided on.
#[derive(Debug, thiserror::Error)]
pub enum UserCodeError {
    #[error("Invalid user code")]
    Invalid,
    #[error("Device code expired")]
    Expired,
    #[error("Device already authorized")]
    AlreadyAuthorized,
    #[error("Device authorization was denied")]
    Denied,
    /// Seed 004: MFA before device authorization. The session predates the user's second
    /// factor (or the organization's MFA policy), so the user signs in again.
    #[error("Sign in again with your second factor")]
    FreshSignInRequired,
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<DbErr> for UserCodeError {
    fn from(e: DbErr) -> Self {
        Self::Failed(e.into())
    }
}

/// A pending authorization found by its user code.
pub struct PendingDevice {
    pub row: DeviceCode,
    pub client: Arc<Client>,
    pub user_code: UserCode,
    pub scope: ScopeSet,
}

/// Looks up a code a person typed. Every lookup counts against the per-IP code-entry limit
/// (RFC 8628 §5.1: user codes are guessable without one).
pub async fn find_pending(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<PendingDevice, UserCodeError> {
    state.limits.check_device_code_entry(meta.ip).await?;
    let user_code = UserCode::parse(raw).ok_or(UserCodeError::Invalid)?;
    let row = device_codes::find_by_user_code(&state.db, user_code.as_str())
        .await?
        .ok_or(UserCodeError::Invalid)?;
    let service = services::find_by_id(&state.db, row.service_id)
        .await?
        .ok_or(UserCodeError::Invalid)?;
    let client = state
        .clients
        .get(&state.db, &service.client_id)
        .await?
        .filter(|c| c.is_active())
        .ok_or(UserCodeError::Invalid)?;
    match row.status {
        DeviceStatus::Pending if row.expires_at > crate::store::now() => {}
        DeviceStatus::Pending => {
            record_expiry(state, &client, &row, meta).await?;
            return Err(UserCodeError::Expired);
        }
        DeviceStatus::Expired => return Err(UserCodeError::Expired),
        DeviceStatus::Approved | DeviceStatus::Consumed => {
            return Err(UserCodeError::AlreadyAuthorized);
        }
        DeviceStatus::Denied => return Err(UserCodeError::Denied),
    }
    Ok(PendingDevice {
        scope: ScopeSet::from_stored(&row.scope),
        row,
        client,
        user_code,
    })
}

/// A pending code the signed-in user may decide on: refused with `FreshSignInRequired` when the
/// user has (or must have) a second factor but this session was opened without one.
pub async fn for_decision(
    state: &AppState,
    raw: &str,
    session: &BrowserSession,
    user: &User,
    meta: &RequestMeta,
) -> Result<PendingDevice, UserCodeError> {
    let pending = find_pending(state, raw, meta).await?;
    let with_mfa = session.amr_list().iter().any(|m| m == "mfa");
    if !with_mfa
        && (totp_credentials::is_enabled(&state.db, user.id).await?
            || organizations::requires_mfa(&state.db, user.id).await?)
    {
        return Err(UserCodeError::FreshSignInRequired);
    }
    Ok(pending)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// Records the person's decision once; a code decided elsewhere in the meantime is refused.
#[tracing::instrument(skip_all, fields(user_id = %user.id), err(level = "debug"))]
pub async fn decide(
    state: &AppState,
    raw: &str,
    decision: Decision,
    session: &BrowserSession,
    user: &User,
    meta: &RequestMeta,
) -> Result<PendingDevice, UserCodeError> {
    let pending = for_decision(state, raw, session, user, meta).await?;
    let now = crate::store::now();
    let txn = crate::store::begin(&state.writer).await?;
    let (won, action) = match decision {
        Decision::Approve => {
            let approval = Approval {
                user_id: user.id,
                session_id: session.id,
                auth_time: session.auth_time,
                amr: session.amr.clone(),
            };
            let won = device_codes::approve(&txn, pending.row.id, approval, now).await?;
            (won, "device.approved")
        }
        Decision::Deny => {
            let won = device_codes::deny(&txn, pending.row.id, user.id, now).await?;
            (won, "device.denied")
        }
    };
    if !won {
        return Err(UserCodeError::AlreadyAuthorized);
    }
    let record = event(
        action,
        Outcome::Success,
        meta,
        &pending.client,
        &pending.row,
    );
    audit::record(&txn, record.user(user.id)).await?;
    txn.commit().await?;
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_complete_uri_carries_the_displayed_code() {
        let code = UserCode::parse("bcdfghjk").unwrap();
        assert_eq!(
            complete_uri("https://id.example/device", &code),
            "https://id.example/device?user_code=BCDF-GHJK"
        );
        assert_eq!(
            complete_uri("https://app.example/activate?lang=en", &code),
            "https://app.example/activate?lang=en&user_code=BCDF-GHJK"
        );
    }
}
