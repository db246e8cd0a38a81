//! Tokens of the JSON sign-in API (seed 004) for first-party apps: issued after a sign-in,
//! refreshed, and revoked at logout. Who signs in, and how, is `auth::first_party`.
use crate::metrics::{IssuedGrant, SignInMethod, SignInOutcome};
use serde::Serialize;

use super::clients::Client;
use super::grants::{GrantError, refresh_token};
use super::issue::{self, UserTokens};
use super::revocation;
use super::scope::ScopeSet;
use super::tokens::AccessClaims;
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::refresh_tokens::{self, Families};
use crate::store::{services, users};

#[derive(Debug, Serialize)]
pub struct SignedInTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_method: Option<String>,
}

/// A completed sign-in (`amr`, recorded as `method`): the user scopes the service may have,
/// the last-login method and the `user.login` event, in one transaction.
pub async fn sign_in(
    state: &AppState,
    client: &Client,
    user: &users::User,
    amr: &[String],
    method: &'static str,
    meta: &RequestMeta,
) -> Result<SignedInTokens, AppError> {
    let scope = ScopeSet::user_scopes_in(&client.allowed_scopes);
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await?;
    let tokens = UserTokens::new(client, user, &scope, crate::store::now(), amr);
    let minted = issue::mint(state, tokens).await?;
    let txn = crate::store::begin(&state.writer).await?;
    let issued = minted.store(&txn).await?;
    users::update_last_login(&txn, user.id, method).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.login", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "amr": amr, "client_id": client.client_id() })),
    )
    .await?;
    txn.commit().await?;
    let metrics = &state.metrics;
    metrics.sign_in(SignInMethod::from_amr(amr), SignInOutcome::Success);
    metrics.token_issued(IssuedGrant::SignInApi);
    Ok(SignedInTokens {
        access_token: issued.response.access_token,
        refresh_token: issued.response.refresh_token.unwrap_or_default(),
        token_type: "Bearer",
        expires_in: issued.response.expires_in,
        id_token: None,
        last_login_method: Some(method.to_owned()),
    })
}

/// `POST /api/auth/refresh`: rotation with the same reuse rules as the token endpoint, for
/// public first-party services. It takes no client authentication, so a third-party or
/// confidential service's refresh token, bound to that client and its secret (RFC 6749 §6), is
/// refreshed at `/token` only.
pub async fn refresh(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<SignedInTokens, AppError> {
    let unknown = || AppError::from(GrantError::Unknown(super::grants::Presented::RefreshToken));
    let row = refresh_tokens::find(&state.db, &crate::keys::hash_token(raw))
        .await?
        .ok_or_else(unknown)?;
    let service = services::find_by_id(&state.db, row.service_id)
        .await?
        .ok_or_else(unknown)?;
    let client = state
        .clients
        .get(&state.db, &service.client_id)
        .await?
        .ok_or_else(unknown)?;
    if !client.service.first_party || client.service.confidential {
        return Err(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "This refresh token belongs to a third-party or confidential app: refresh it at the token endpoint with the app's credentials".into(),
        });
    }
    let response = refresh_token::exchange(state, &client, raw, None, meta).await?;
    state.metrics.token_issued(IssuedGrant::RefreshToken);
    Ok(SignedInTokens {
        access_token: response.access_token,
        refresh_token: response.refresh_token.unwrap_or_default(),
        token_type: "Bearer",
        expires_in: response.expires_in,
        id_token: None,
        last_login_method: None,
    })
}

/// `POST /api/auth/logout`: revokes the access token and the refresh family it came with.
pub async fn logout(state: &AppState, claims: &AccessClaims) -> Result<(), AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    let family = refresh_tokens::family_of_access_token(&txn, &claims.jti).await?;
    revocation::revoke(
        state,
        &txn,
        family.map(Families::Family),
        &[revocation::access_token(claims)],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
