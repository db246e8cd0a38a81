//! The refresh token grant (RFC 6749 §6): rotation with reuse detection (RFC 9700 §4.14.2).
use super::{GrantError, Presented};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::keys::hash_token;
use crate::oidc::clients::Client;
use crate::oidc::issue::{self, UserTokens};
use crate::oidc::revocation;
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::store::browser_sessions;
use crate::store::refresh_tokens::{self, Families, RefreshToken};

/// Rotates a refresh token. A token presented twice revokes its whole family.
pub async fn exchange(
    state: &AppState,
    client: &Client,
    raw: &str,
    requested_scope: Option<ScopeSet>,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    let row = refresh_tokens::find(&state.db, &hash_token(raw))
        .await?
        .filter(|row| row.service_id == client.service.id)
        .ok_or(GrantError::Unknown(Presented::RefreshToken))?;
    let now = crate::store::now();
    if row.revoked_at.is_some() {
        return Err(GrantError::Revoked);
    }
    if row.used_at.is_some() {
        return Err(replayed(state, &row, meta).await);
    }
    // An absolute end besides the sliding one (RFC 9700 §4.14.2): rotation cannot keep a stolen
    // or forgotten family alive forever. Checked first, so the family is revoked as well.
    if now >= issue::absolute_end(state, row.family_created_at) {
        revoke_family(state, &row).await?;
        return Err(GrantError::SignInTooOld {
            days: state.settings.tokens.refresh_absolute_days,
        });
    }
    if row.expires_at <= now {
        return Err(GrantError::Expired(Presented::RefreshToken));
    }
    // A session-bound family (no offline_access) ends with its sign-in session, also when the
    // session expired or ended before the code was even exchanged.
    if let Some(session_id) = row.session_id
        && !browser_sessions::is_live(&state.db, session_id, now).await?
    {
        revoke_family(state, &row).await?;
        return Err(GrantError::SessionEnded);
    }
    let granted = ScopeSet::from_stored(&row.scope);
    let scope = match requested_scope {
        Some(requested) if !requested.is_subset_of(&granted) => {
            return Err(GrantError::Scope("a refreshed token cannot gain scopes"));
        }
        Some(requested) if !requested.is_empty() => requested,
        _ => granted.clone(),
    };
    let user = issue::active_user(&state.db, row.user_id)
        .await?
        .ok_or(GrantError::UserInactive(Presented::RefreshToken))?;
    let amr = row.amr_list();
    let tokens = UserTokens::new(client, &user, &scope, row.auth_time, &amr)
        .session(row.session_id)
        .grant(row.grant_id)
        .rotating((row.family_id, row.family_created_at), &granted);
    let minted = issue::mint(state, tokens).await?;
    // Used up in the transaction that stores the new token, as for codes.
    match minted.rotate(state, row.id, now).await? {
        Some(issued) => Ok(issued.response),
        None => Err(replayed(state, &row, meta).await),
    }
}

async fn revoke_family(state: &AppState, row: &RefreshToken) -> Result<(), sea_orm::DbErr> {
    let txn = crate::store::begin(&state.writer).await?;
    revocation::revoke(state, &txn, Some(Families::Family(row.family_id)), &[]).await?;
    txn.commit().await
}

async fn replayed(state: &AppState, row: &RefreshToken, meta: &RequestMeta) -> GrantError {
    let result: Result<(), sea_orm::DbErr> = async {
        let txn = crate::store::begin(&state.writer).await?;
        revocation::revoke(state, &txn, Some(Families::Family(row.family_id)), &[]).await?;
        audit::record(
            &txn,
            AuditEvent::new("oauth.refresh_token_reused", Outcome::Failure, meta)
                .user(row.user_id)
                .details(serde_json::json!({ "family_id": row.family_id })),
        )
        .await?;
        txn.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not revoke a reused refresh token family");
    }
    GrantError::Used(Presented::RefreshToken)
}
