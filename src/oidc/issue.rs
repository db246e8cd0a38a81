//! The one place user tokens are minted and stored: every grant, the device flow and the
//! first-party JSON sign-in come here after using up what they were given.
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::clients::Client;
use super::grants::GrantType;
use super::scope::ScopeSet;
use super::tokens::{Grant, TokenResponse, mint_access_token, mint_id_token};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::refresh_tokens::{self, RefreshToken};
use crate::store::{org_roles, to_json_list, users};

/// What to issue for a user. Built with [`UserTokens::new`]; the grant-specific parts are set
/// with the methods below.
pub struct UserTokens<'a> {
    client: &'a Client,
    user: &'a users::User,
    /// Scope of the access token.
    scope: &'a ScopeSet,
    /// Scope kept by the refresh token (never narrowed by a refresh, RFC 6749 §6).
    refresh_scope: &'a ScopeSet,
    auth_time: DateTime<Utc>,
    amr: &'a [String],
    sid: Option<Uuid>,
    nonce: Option<&'a str>,
    grant_id: Option<Uuid>,
    /// Continue this family (rotation: its id and start) or start a new one.
    family: Option<(Uuid, DateTime<Utc>)>,
}

impl<'a> UserTokens<'a> {
    /// Tokens for `scope`, for a sign-in at `auth_time` with `amr`; no session, nonce, grant or
    /// family unless set.
    pub fn new(
        client: &'a Client,
        user: &'a users::User,
        scope: &'a ScopeSet,
        auth_time: DateTime<Utc>,
        amr: &'a [String],
    ) -> Self {
        Self {
            client,
            user,
            scope,
            refresh_scope: scope,
            auth_time,
            amr,
            sid: None,
            nonce: None,
            grant_id: None,
            family: None,
        }
    }

    /// The browser session the tokens belong to (`sid`; session-bound refresh tokens).
    pub fn session(mut self, sid: Option<Uuid>) -> Self {
        self.sid = sid;
        self
    }

    /// The OIDC nonce of the authorization request.
    pub fn nonce(mut self, nonce: Option<&'a str>) -> Self {
        self.nonce = nonce;
        self
    }

    /// The code or device authorization the tokens come from (revoked together on replay).
    pub fn grant(mut self, grant_id: Option<Uuid>) -> Self {
        self.grant_id = grant_id;
        self
    }

    /// A rotation: continue `family` (id, start), keeping the refresh scope `granted`.
    pub fn rotating(mut self, family: (Uuid, DateTime<Utc>), granted: &'a ScopeSet) -> Self {
        self.family = Some(family);
        self.refresh_scope = granted;
        self
    }
}

pub struct Issued {
    pub response: TokenResponse,
    pub access_jti: String,
    pub access_expires_at: DateTime<Utc>,
}

/// Signed tokens whose refresh token is not stored yet: see [`mint`] and [`Minted::store`].
pub struct Minted {
    response: TokenResponse,
    access_jti: String,
    access_expires_at: DateTime<Utc>,
    refresh_row: Option<RefreshToken>,
}

/// Mints the access token, the ID token (`openid`) and, for a client allowed the refresh grant,
/// a refresh token. Called before the transaction that uses up the code, token or device
/// authorization: signing (about a millisecond for RS256) must not hold SQLite's write lock or a
/// pooled connection inside a transaction. Nothing is stored, and nothing is returned to the
/// client, until [`Minted::store`].
pub async fn mint(state: &AppState, t: UserTokens<'_>) -> Result<Minted, AppError> {
    // One query: the membership and the org's role definitions (plan and features come with
    // the cached client's organization).
    let access = org_roles::member_access(&state.db, t.user.id, t.client.org.id).await?;
    let grant = Grant {
        client: t.client,
        user: Some(t.user),
        scope: t.scope,
        auth_time: Some(t.auth_time),
        amr: t.amr,
        sid: t.sid,
        nonce: t.nonce,
        access,
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
    let (refresh_token, refresh_row) = if t.client.allows_grant(GrantType::RefreshToken) {
        let raw = random_token();
        let now = crate::store::now();
        let (family_id, family_created_at) = t.family.unwrap_or_else(|| (Uuid::new_v4(), now));
        // Sliding lifetime: every rotation starts a new period, never past the absolute end.
        let expires_at = (now
            + chrono::Duration::seconds(i64::from(t.client.service.refresh_token_ttl_secs)))
        .min(absolute_end(state, family_created_at));
        let row = RefreshToken {
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
        };
        (Some(raw), Some(row))
    } else {
        (None, None)
    };
    Ok(Minted {
        response: TokenResponse {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            scope: t.scope.to_string(),
            refresh_token,
            id_token,
            issued_token_type: None,
        },
        access_jti: access.jti,
        access_expires_at: access.expires_at,
        refresh_row,
    })
}

impl Minted {
    /// Stores the refresh token in `txn`, the transaction that used up the code, token or
    /// device authorization; the tokens may be handed out once it commits.
    pub async fn store<C: ConnectionTrait>(self, txn: &C) -> Result<Issued, AppError> {
        if let Some(row) = self.refresh_row {
            refresh_tokens::insert(txn, row).await?;
        }
        Ok(Issued {
            response: self.response,
            access_jti: self.access_jti,
            access_expires_at: self.access_expires_at,
        })
    }

    /// For the refresh grant: uses up the refresh token `old` and stores the new one in one
    /// write (`refresh_tokens::rotate`); `None` if `old` was used, revoked or expired meanwhile.
    pub async fn rotate(
        self,
        state: &AppState,
        old: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Issued>, AppError> {
        let Minted {
            response,
            access_jti,
            access_expires_at,
            refresh_row,
        } = self;
        let rotated = match refresh_row {
            Some(row) => refresh_tokens::rotate(&state.writer, old, now, row).await?,
            // The client lost the refresh grant since: the old token is used up all the same.
            None => refresh_tokens::consume(&state.writer, old, now).await?,
        };
        Ok(rotated.then_some(Issued {
            response,
            access_jti,
            access_expires_at,
        }))
    }
}

/// When a refresh-token family started at `created` ends, however often it was rotated.
pub fn absolute_end(state: &AppState, created: DateTime<Utc>) -> DateTime<Utc> {
    created + chrono::Duration::days(state.settings.tokens.refresh_absolute_days)
}

/// The user a grant names, if the account is still active.
pub async fn active_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Option<users::User>, AppError> {
    Ok(users::find_active(db, user_id).await?)
}
