//! The device authorization grant (RFC 8628): issuing device and user codes, the person's
//! decision on the verification page, and polling at the token endpoint. The seed-004 JSON
//! variants share the same rows and rules and differ only in their answers.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use uuid::Uuid;

use super::clients::{Client, ClientCredentials};
use super::error::{OAuthError, OAuthErrorCode};
use super::grants::{DEVICE_CODE, UserTokens, issue_user_tokens};
use super::scope::ScopeSet;
use super::tokens::TokenResponse;
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{RequestMeta, UserCode};
use crate::error::{AppError, ErrorCode};
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::browser_sessions::BrowserSession;
use crate::store::device_codes::{self, Approval, DeviceCode, DeviceStatus};
use crate::store::users::{self, User};
use crate::store::{from_json_list, organizations, services, totp_credentials};

/// RFC 8628 §3.2 `expires_in`.
pub const LIFETIME_SECS: i64 = 900;
/// RFC 8628 §3.2 `interval`: the minimum wait between polls.
pub const INTERVAL_SECS: i32 = 5;
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval.
pub const SLOW_DOWN_SECS: i32 = 5;
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
    if !client.allows_grant(DEVICE_CODE) {
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

/// Who asks at `POST /auth/device/code` (seed 004).
pub struct JsonClient {
    pub client_id: String,
    /// Confidential services must send their secret, as at the token endpoint.
    pub client_secret: Option<String>,
    pub org: String,
    pub service: String,
}

/// `POST /auth/device/code` (seed 004). Besides the device grant, the service must have a
/// device activation URI: the page its users are sent to, which becomes `verification_uri`.
#[tracing::instrument(skip_all, fields(client_id = %request.client_id), err(level = "debug"))]
pub async fn authorize_json(
    state: &AppState,
    request: JsonClient,
    meta: &RequestMeta,
) -> Result<DeviceAuthorization, AppError> {
    let client = json_client(state, request.client_id, request.client_secret).await?;
    if client.org.slug != request.org || client.service.slug != request.service {
        return Err(AppError::invalid("Invalid client_id"));
    }
    if !client.allows_grant(DEVICE_CODE) {
        return Err(AppError::invalid(
            "Device flow is not enabled for this service",
        ));
    }
    let Some(verification_uri) = client.service.device_activation_uri.clone() else {
        return Err(AppError::invalid(
            "Device activation URI not configured for this service",
        ));
    };
    let scope = default_scope(&client);
    issue(state, &client, &scope, verification_uri, meta).await
}

/// Client authentication for the JSON endpoints, with seed-004 errors.
async fn json_client(
    state: &AppState,
    client_id: String,
    secret: Option<String>,
) -> Result<Arc<Client>, AppError> {
    let credentials = ClientCredentials {
        client_id,
        secret: secret.filter(|s| !s.is_empty()),
        basic: false,
    };
    state
        .clients
        .authenticate(&state.db, &credentials)
        .await
        .map_err(|e| match e.code {
            OAuthErrorCode::ServerError => AppError::Unexpected(anyhow::anyhow!("{e}")),
            OAuthErrorCode::UnauthorizedClient => AppError::Forbidden {
                code: ErrorCode::OrganizationNotActive,
                message: "The organization is suspended".into(),
            },
            _ => AppError::invalid("Invalid client_id"),
        })
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
        let txn = crate::store::begin(&state.db).await?;
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

fn event<'a>(
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

impl From<UserCodeError> for AppError {
    /// The seed-004 JSON answers.
    fn from(e: UserCodeError) -> Self {
        match e {
            UserCodeError::Failed(e) => e,
            UserCodeError::Expired => AppError::Invalid {
                code: ErrorCode::DeviceCodeExpired,
                message: "Device code expired".into(),
            },
            UserCodeError::FreshSignInRequired => AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: e.to_string().into(),
            },
            other => AppError::invalid(other.to_string()),
        }
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
    state.limits.check_device_code_entry(meta.ip)?;
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
        DeviceStatus::Pending | DeviceStatus::Expired => {
            record_expiry(state, &client, &row, meta).await?;
            return Err(UserCodeError::Expired);
        }
        DeviceStatus::Approved | DeviceStatus::Consumed => {
            return Err(UserCodeError::AlreadyAuthorized);
        }
        DeviceStatus::Denied => return Err(UserCodeError::Denied),
    }
    Ok(PendingDevice {
        scope: ScopeSet::parse(&row.scope).unwrap_or_default(),
        row,
        client,
        user_code,
    })
}

/// `POST /auth/device/verify` (seed 004): what a front end shows before sending the person to
/// sign in.
#[derive(Debug, Serialize)]
pub struct DeviceContext {
    pub org_slug: String,
    pub service_slug: String,
    pub available_providers: Vec<&'static str>,
}

pub async fn verify_json(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<DeviceContext, AppError> {
    let pending = find_pending(state, raw, meta).await?;
    Ok(DeviceContext {
        org_slug: pending.client.org.slug.clone(),
        service_slug: pending.client.service.slug.clone(),
        available_providers: SIGN_IN_METHODS.to_vec(),
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
    let with_mfa = from_json_list(&session.amr).iter().any(|m| m == "mfa");
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
    let txn = crate::store::begin(&state.db).await?;
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

/// Marks a code expired; the first caller to do so audits it.
async fn record_expiry(
    state: &AppState,
    client: &Client,
    row: &DeviceCode,
    meta: &RequestMeta,
) -> Result<(), DbErr> {
    let txn = crate::store::begin(&state.db).await?;
    if device_codes::expire(&txn, row.id).await? {
        let record = event("device.code_expired", Outcome::Failure, meta, client, row);
        audit::record(&txn, record).await?;
    }
    txn.commit().await
}

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
            family_id: None,
        },
    )
    .await?;
    let record = event("device.tokens_issued", Outcome::Success, meta, client, row);
    audit::record(&txn, record.user(user.id)).await?;
    txn.commit().await?;
    Ok(issued.response)
}

/// Polling at `POST /auth/token` (seed 004).
pub struct JsonPoll {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub device_code: String,
}

/// `POST /auth/token` (seed 004): the device grant with the seed's statuses: 401 "Not
/// authorized" while pending, 400 "Device code expired", 429 when polled too fast.
pub async fn poll_json(
    state: &AppState,
    request: JsonPoll,
    meta: &RequestMeta,
) -> Result<TokenResponse, AppError> {
    if request.grant_type != DEVICE_CODE {
        return Err(AppError::invalid("Invalid grant type"));
    }
    let client = json_client(state, request.client_id, request.client_secret).await?;
    if !client.allows_grant(DEVICE_CODE) {
        return Err(AppError::invalid(
            "Device flow is not enabled for this service",
        ));
    }
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await?;
    exchange(state, &client, &request.device_code, meta)
        .await
        .map_err(seed_error)
}

fn seed_error(e: OAuthError) -> AppError {
    match e.code {
        OAuthErrorCode::AuthorizationPending => AppError::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: "Not authorized".into(),
        },
        OAuthErrorCode::SlowDown => AppError::RateLimited {
            retry_after: e
                .retry_after
                .unwrap_or(Duration::from_secs(INTERVAL_SECS.unsigned_abs().into())),
            limit: 1,
        },
        OAuthErrorCode::ExpiredToken => AppError::Invalid {
            code: ErrorCode::DeviceCodeExpired,
            message: "Device code expired".into(),
        },
        OAuthErrorCode::AccessDenied => AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "Access denied".into(),
        },
        OAuthErrorCode::InvalidGrant if e.description.contains("already been used") => {
            AppError::invalid("Device code already used")
        }
        OAuthErrorCode::InvalidGrant => AppError::invalid("Invalid device code"),
        OAuthErrorCode::ServerError => AppError::Unexpected(anyhow::anyhow!("{e}")),
        _ => AppError::invalid(e.description.into_owned()),
    }
}

/// Housekeeping: drops codes expired for a day, freeing their user codes.
pub async fn prune(state: &AppState) -> Result<u64, DbErr> {
    device_codes::delete_expired(&state.db, crate::store::now() - chrono::Duration::days(1)).await
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

    #[test]
    fn protocol_errors_keep_the_seed_statuses() {
        let pending = seed_error(OAuthError::new(OAuthErrorCode::AuthorizationPending, "x"));
        assert!(matches!(pending, AppError::Unauthorized { .. }));
        assert_eq!(pending.to_string(), "Not authorized");
        let expired = seed_error(OAuthError::new(OAuthErrorCode::ExpiredToken, "x"));
        assert!(matches!(
            expired,
            AppError::Invalid {
                code: ErrorCode::DeviceCodeExpired,
                ..
            }
        ));
        let slow = OAuthError {
            retry_after: Some(Duration::from_secs(10)),
            ..OAuthError::new(OAuthErrorCode::SlowDown, "x")
        };
        assert!(matches!(
            seed_error(slow),
            AppError::RateLimited { retry_after, .. } if retry_after == Duration::from_secs(10)
        ));
    }
}
