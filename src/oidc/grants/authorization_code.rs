//! The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636).
use super::{GrantError, Pkce, Presented, TokenRequest};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::keys::hash_token;
use crate::oidc::clients::Client;
use crate::oidc::issue::{self, UserTokens};
use crate::oidc::revocation;
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::store::authorization_codes::{self, AuthorizationCode};
use crate::store::refresh_tokens::Families;

pub async fn exchange(
    state: &AppState,
    client: &Client,
    request: TokenRequest,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    let code = request.code.as_deref().ok_or(GrantError::Missing("code"))?;
    let redirect_uri = request
        .redirect_uri
        .as_deref()
        .ok_or(GrantError::Missing("redirect_uri"))?;
    let row = authorization_codes::find(&state.db, &hash_token(code))
        .await?
        .filter(|row| row.service_id == client.service.id)
        .ok_or(GrantError::Unknown(Presented::Code))?;
    let now = crate::store::now();
    if row.used_at.is_some() {
        return Err(replayed(state, &row, meta).await);
    }
    if row.expires_at <= now {
        return Err(GrantError::Expired(Presented::Code));
    }
    if row.redirect_uri != redirect_uri {
        return Err(GrantError::RedirectUriMismatch);
    }
    match (&row.code_challenge, request.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if crate::oidc::pkce::verify(verifier, challenge) => {}
        (Some(_), Some(_)) => return Err(GrantError::Pkce(Pkce::Mismatch)),
        (Some(_), None) => return Err(GrantError::Pkce(Pkce::VerifierMissing)),
        (None, Some(_)) => return Err(GrantError::Pkce(Pkce::NoChallenge)),
        (None, None) => {}
    }
    let user = issue::active_user(&state.db, row.user_id)
        .await?
        .ok_or(GrantError::UserInactive(Presented::Code))?;
    let scope = ScopeSet::from_stored(&row.scope);
    let amr = row.amr_list();
    let tokens = UserTokens::new(client, &user, &scope, row.auth_time, &amr)
        .session(row.session_id)
        .nonce(row.nonce.as_deref())
        .grant(Some(row.id));
    let minted = issue::mint(state, tokens).await?;
    // Used up in the transaction that stores what was issued: a concurrent replay waits for it
    // and then finds (and revokes) it.
    let txn = crate::store::begin(&state.writer).await?;
    if !authorization_codes::consume(&txn, row.id, now).await? {
        txn.rollback().await?;
        return Err(replayed(state, &row, meta).await);
    }
    let issued = minted.store(&txn).await?;
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
async fn replayed(state: &AppState, row: &AuthorizationCode, meta: &RequestMeta) -> GrantError {
    let result: Result<(), sea_orm::DbErr> = async {
        let txn = crate::store::begin(&state.writer).await?;
        revocation::revoke(state, &txn, Some(Families::Grant(row.id)), &[]).await?;
        // Read again: a concurrent exchange may have recorded its access token meanwhile.
        let row = authorization_codes::find(&txn, &row.code_hash)
            .await?
            .unwrap_or_else(|| row.clone());
        if let (Some(jti), Some(exp)) = (&row.access_token_jti, row.access_token_expires_at) {
            revocation::revoke(state, &txn, None, &[(jti.clone(), exp)]).await?;
        }
        audit::record(
            &txn,
            AuditEvent::new("oauth.code_replayed", Outcome::Failure, meta).user(row.user_id),
        )
        .await?;
        txn.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not revoke tokens of a replayed code");
    }
    GrantError::Used(Presented::Code)
}
