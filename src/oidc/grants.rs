//! The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6) with PKCE (RFC 7636) and refresh
//! rotation with reuse detection (RFC 9700 §4.14.2); the device grant (RFC 8628) is in `device`.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::clients::{Client, ClientCredentials};
use super::error::{OAuthError, OAuthErrorCode};
use super::scope::ScopeSet;
use super::tokens::{Grant, TokenResponse, mint_access_token, mint_id_token};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::refresh_tokens::{self, Families, RefreshToken};
use crate::store::{
    authorization_codes, browser_sessions, from_json_list, memberships, revoked_tokens,
    to_json_list, users,
};

pub const AUTHORIZATION_CODE: &str = "authorization_code";
pub const REFRESH_TOKEN: &str = "refresh_token";
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
/// RFC 8628 §3.4; compared exactly, like every grant type.
pub const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Scopes about the end user, meaningless for a machine client.
const USER_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

#[derive(Debug, Default, serde::Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub device_code: Option<String>,
}

#[tracing::instrument(skip_all, fields(client_id = %credentials.client_id, grant_type = request.grant_type.as_deref().unwrap_or("")), err(level = "debug"))]
pub async fn token(
    state: &AppState,
    credentials: ClientCredentials,
    request: TokenRequest,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let client = state.clients.authenticate(&state.db, &credentials).await?;
    let grant_type = request
        .grant_type
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if ![
        AUTHORIZATION_CODE,
        REFRESH_TOKEN,
        CLIENT_CREDENTIALS,
        DEVICE_CODE,
    ]
    .contains(&grant_type)
    {
        return Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            format!("unsupported grant_type {grant_type:?}"),
        ));
    }
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            format!("this client may not use {grant_type}"),
        ));
    }
    // Before any transaction: the first use of an algorithm writes its new key.
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await?;
    match grant_type {
        AUTHORIZATION_CODE => authorization_code(state, &client, request, meta).await,
        REFRESH_TOKEN => {
            let raw = request
                .refresh_token
                .as_deref()
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
            let scope = request.scope.as_deref().map(parse_scope).transpose()?;
            refresh(state, &client, raw, scope, meta).await
        }
        DEVICE_CODE => {
            let device_code = request
                .device_code
                .as_deref()
                .ok_or_else(|| OAuthError::invalid_request("device_code is required"))?;
            super::device::exchange(state, &client, device_code, meta).await
        }
        _ => client_credentials(state, &client, request).await,
    }
}

fn parse_scope(raw: &str) -> Result<ScopeSet, OAuthError> {
    ScopeSet::parse(raw).ok_or_else(|| OAuthError::invalid_scope("scope has invalid characters"))
}

async fn authorization_code(
    state: &AppState,
    client: &Arc<Client>,
    request: TokenRequest,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let code = request
        .code
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let redirect_uri = request
        .redirect_uri
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is required"))?;
    let row = authorization_codes::find(&state.db, &hash_token(code))
        .await?
        .filter(|row| row.service_id == client.service.id)
        .ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;
    let now = crate::store::now();
    if row.used_at.is_some() {
        return Err(code_replayed(state, &row, meta).await);
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    if row.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&row.code_challenge, request.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if super::pkce::verify(verifier, challenge) => {}
        (Some(_), Some(_)) => return Err(OAuthError::invalid_grant("PKCE verification failed")),
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required")),
        // RFC 9700 §2.1.1: a verifier without a challenge is refused.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "no code_challenge was sent with the authorization request",
            ));
        }
        (None, None) => {}
    }
    let user = active_user(state, row.user_id).await?;
    let scope = ScopeSet::parse(&row.scope).unwrap_or_default();
    let amr = from_json_list(&row.amr);
    // Used up in the transaction that issues: a concurrent replay waits for it and then finds
    // (and revokes) what it issued.
    let txn = crate::store::begin(&state.db).await?;
    if !authorization_codes::consume(&txn, row.id, now).await? {
        txn.rollback().await?;
        return Err(code_replayed(state, &row, meta).await);
    }
    let issued = issue_user_tokens(
        state,
        &txn,
        UserTokens {
            client,
            user: &user,
            scope: &scope,
            refresh_scope: &scope,
            auth_time: row.auth_time,
            amr: &amr,
            sid: row.session_id,
            nonce: row.nonce.as_deref(),
            grant_id: Some(row.id),
            family: None,
        },
    )
    .await?;
    authorization_codes::record_access_token(
        &txn,
        row.id,
        &issued.access_jti,
        issued.access_expires_at,
    )
    .await?;
    txn.commit().await?;
    Ok(issued.response)
}

/// RFC 6749 §4.1.2: a replayed code revokes every token issued from it.
async fn code_replayed(
    state: &AppState,
    row: &authorization_codes::AuthorizationCode,
    meta: &RequestMeta,
) -> OAuthError {
    let result: Result<(), OAuthError> = async {
        let txn = crate::store::begin(&state.db).await?;
        let mut denied = revoke_families(&txn, Families::Grant(row.id)).await?;
        // Read again: a concurrent exchange may have recorded its access token meanwhile.
        let row = authorization_codes::find(&txn, &row.code_hash)
            .await?
            .unwrap_or_else(|| row.clone());
        if let (Some(jti), Some(exp)) = (&row.access_token_jti, row.access_token_expires_at) {
            denied.push((jti.clone(), exp));
            revoked_tokens::insert_many(&txn, &denied).await?;
        }
        audit::record(
            &txn,
            AuditEvent::new("oauth.code_replayed", Outcome::Failure, meta).user(row.user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not revoke tokens of a replayed code");
    }
    OAuthError::invalid_grant("the authorization code has already been used")
}

/// Rotates a refresh token. A token presented twice revokes its whole family.
pub async fn refresh(
    state: &AppState,
    client: &Arc<Client>,
    raw: &str,
    requested_scope: Option<ScopeSet>,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let row = refresh_tokens::find(&state.db, &hash_token(raw))
        .await?
        .filter(|row| row.service_id == client.service.id)
        .ok_or_else(|| OAuthError::invalid_grant("the refresh token is invalid"))?;
    let now = crate::store::now();
    if row.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    if row.used_at.is_some() {
        return Err(refresh_replayed(state, &row, meta).await);
    }
    // An absolute end besides the sliding one (RFC 9700 §4.14.2): rotation cannot keep a stolen
    // or forgotten family alive forever. Checked first, so the family is revoked as well.
    if now >= absolute_end(state, row.family_created_at) {
        let txn = crate::store::begin(&state.db).await?;
        revoke_families(&txn, Families::Family(row.family_id)).await?;
        txn.commit().await?;
        return Err(OAuthError::invalid_grant(format!(
            "the refresh token has expired: its sign-in is more than {} days old; sign in again",
            state.settings.tokens.refresh_absolute_days
        )));
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    // A session-bound family (no offline_access) ends with its sign-in session, also when the
    // session expired or ended before the code was even exchanged.
    if let Some(session_id) = row.session_id
        && !browser_sessions::is_live(&state.db, session_id, now).await?
    {
        let txn = crate::store::begin(&state.db).await?;
        revoke_families(&txn, Families::Family(row.family_id)).await?;
        txn.commit().await?;
        return Err(OAuthError::invalid_grant(
            "the sign-in session of this refresh token has ended",
        ));
    }
    let granted = ScopeSet::parse(&row.scope).unwrap_or_default();
    let scope = match requested_scope {
        Some(requested) if !requested.is_subset_of(&granted) => {
            return Err(OAuthError::invalid_scope(
                "a refreshed token cannot gain scopes",
            ));
        }
        Some(requested) if !requested.is_empty() => requested,
        _ => granted.clone(),
    };
    let user = active_user(state, row.user_id).await?;
    let amr = from_json_list(&row.amr);
    // Used up in the transaction that issues, as for codes.
    let txn = crate::store::begin(&state.db).await?;
    if !refresh_tokens::consume(&txn, row.id, now).await? {
        txn.rollback().await?;
        return Err(refresh_replayed(state, &row, meta).await);
    }
    let issued = issue_user_tokens(
        state,
        &txn,
        UserTokens {
            client,
            user: &user,
            scope: &scope,
            refresh_scope: &granted,
            auth_time: row.auth_time,
            amr: &amr,
            sid: row.session_id,
            nonce: None,
            grant_id: row.grant_id,
            family: Some((row.family_id, row.family_created_at)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(issued.response)
}

async fn refresh_replayed(state: &AppState, row: &RefreshToken, meta: &RequestMeta) -> OAuthError {
    let result: Result<(), OAuthError> = async {
        let txn = crate::store::begin(&state.db).await?;
        revoke_families(&txn, Families::Family(row.family_id)).await?;
        audit::record(
            &txn,
            AuditEvent::new("oauth.refresh_token_reused", Outcome::Failure, meta)
                .user(row.user_id)
                .details(serde_json::json!({ "family_id": row.family_id })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not revoke a reused refresh token family");
    }
    OAuthError::invalid_grant("the refresh token has already been used; its session was revoked")
}

/// Revokes refresh families and deny-lists the access tokens they issued.
pub async fn revoke_families<C: ConnectionTrait>(
    db: &C,
    which: Families,
) -> Result<Vec<(String, DateTime<Utc>)>, OAuthError> {
    let issued = refresh_tokens::revoke(db, which).await?;
    revoked_tokens::insert_many(db, &issued).await?;
    Ok(issued)
}

async fn client_credentials(
    state: &AppState,
    client: &Arc<Client>,
    request: TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    if !client.service.confidential {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "client_credentials needs a confidential client",
        ));
    }
    let machine_scopes: Vec<String> = client
        .allowed_scopes
        .iter()
        .filter(|s| !USER_SCOPES.contains(s))
        .map(str::to_owned)
        .collect();
    let allowed = ScopeSet::from_list(&machine_scopes);
    let scope = match request.scope.as_deref().map(parse_scope).transpose()? {
        Some(requested) if !requested.is_subset_of(&allowed) => {
            return Err(OAuthError::invalid_scope(
                "the requested scope is not allowed for this client",
            ));
        }
        Some(requested) => requested,
        None => allowed,
    };
    let grant = Grant {
        client,
        user: None,
        scope: &scope,
        auth_time: None,
        amr: &[],
        sid: None,
        nonce: None,
        roles: Vec::new(),
    };
    let access = mint_access_token(&state.keys, state.settings.public_url(), &grant)?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.expires_in,
        scope: scope.to_string(),
        refresh_token: None,
        id_token: None,
    })
}

/// When a refresh-token family started at `created` ends, however often it was rotated.
fn absolute_end(state: &AppState, created: DateTime<Utc>) -> DateTime<Utc> {
    created + chrono::Duration::days(state.settings.tokens.refresh_absolute_days)
}

async fn active_user(state: &AppState, user_id: Uuid) -> Result<users::User, OAuthError> {
    users::find_by_id(&state.db, user_id)
        .await?
        .filter(|u| u.status == "active")
        .ok_or_else(|| OAuthError::invalid_grant("the user is no longer active"))
}

pub struct UserTokens<'a> {
    pub client: &'a Client,
    pub user: &'a users::User,
    /// Scope of the access token.
    pub scope: &'a ScopeSet,
    /// Scope kept by the refresh token (never narrowed by a refresh, RFC 6749 §6).
    pub refresh_scope: &'a ScopeSet,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a [String],
    pub sid: Option<Uuid>,
    pub nonce: Option<&'a str>,
    pub grant_id: Option<Uuid>,
    /// Continue this family (rotation: its id and start) or start a new one.
    pub family: Option<(Uuid, DateTime<Utc>)>,
}

pub struct Issued {
    pub response: TokenResponse,
    pub access_jti: String,
    pub access_expires_at: DateTime<Utc>,
}

/// Mints the access token, the ID token (`openid`) and a refresh token (`offline_access`, or a
/// client allowed the refresh grant) and stores the refresh token in `db`.
pub async fn issue_user_tokens<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    t: UserTokens<'_>,
) -> Result<Issued, OAuthError> {
    let roles = memberships::roles(db, t.user.id, t.client.org.id).await?;
    let grant = Grant {
        client: t.client,
        user: Some(t.user),
        scope: t.scope,
        auth_time: Some(t.auth_time),
        amr: t.amr,
        sid: t.sid,
        nonce: t.nonce,
        roles,
    };
    let issuer = state.settings.public_url();
    let access = mint_access_token(&state.keys, issuer, &grant)?;
    let id_token = if t.scope.contains("openid") {
        Some(mint_id_token(
            &state.keys,
            issuer,
            &grant,
            t.user,
            &access.token,
        )?)
    } else {
        None
    };
    let wants_refresh =
        t.refresh_scope.contains("offline_access") || t.client.allows_grant(REFRESH_TOKEN);
    let refresh_token = if wants_refresh && t.client.allows_grant(REFRESH_TOKEN) {
        let raw = random_token();
        let now = crate::store::now();
        let (family_id, family_created_at) = t.family.unwrap_or_else(|| (Uuid::new_v4(), now));
        // Sliding lifetime: every rotation starts a new period, never past the absolute end.
        let expires_at = (now
            + chrono::Duration::seconds(i64::from(t.client.service.refresh_token_ttl_secs)))
        .min(absolute_end(state, family_created_at));
        refresh_tokens::insert(
            db,
            RefreshToken {
                id: Uuid::new_v4(),
                token_hash: hash_token(&raw),
                family_id,
                service_id: t.client.service.id,
                user_id: t.user.id,
                session_id: t
                    .sid
                    .filter(|_| refresh_tokens::session_bound(&t.refresh_scope.to_string())),
                grant_id: t.grant_id,
                scope: t.refresh_scope.to_string(),
                auth_time: t.auth_time,
                amr: to_json_list(t.amr),
                access_token_jti: Some(access.jti.clone()),
                access_token_expires_at: Some(access.expires_at),
                created_at: now,
                family_created_at,
                expires_at,
                used_at: None,
                revoked_at: None,
            },
        )
        .await?;
        Some(raw)
    } else {
        None
    };
    Ok(Issued {
        response: TokenResponse {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            scope: t.scope.to_string(),
            refresh_token,
            id_token,
        },
        access_jti: access.jti,
        access_expires_at: access.expires_at,
    })
}
