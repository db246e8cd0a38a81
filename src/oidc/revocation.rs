//! The one way tokens are revoked: refresh families end and every access token they issued,
//! plus any named ones, is deny-listed until it would have expired (RFC 7009 §2.1: revoking a
//! refresh token revokes the access tokens of the same grant).
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::revoked_set;
use super::tokens::AccessClaims;
use crate::state::AppState;
use crate::store::notify;
use crate::store::refresh_tokens::{self, Families};
use crate::store::revoked_tokens;

/// Revokes the refresh families `which` selects (if any) and deny-lists the access tokens they
/// issued together with `access_tokens` (jti, expiry). Run it inside the caller's transaction:
/// the other instances are told when it commits; this process's in-memory set learns at once
/// (if the transaction then rolls back, a token is refused that need not be: the safe side).
pub async fn revoke<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    which: Option<Families>,
    access_tokens: &[(String, DateTime<Utc>)],
) -> Result<(), DbErr> {
    let mut denied = access_tokens.to_vec();
    if let Some(which) = which {
        denied.extend(refresh_tokens::revoke(db, which).await?);
    }
    revoked_tokens::insert_many(db, &denied).await?;
    for (jti, expires_at) in &denied {
        state.revoked.insert(jti, *expires_at);
        notify::publish(db, &revoked_set::payload(jti, *expires_at)).await?;
    }
    Ok(())
}

/// An access token's (jti, expiry), as `revoke` deny-lists it.
pub fn access_token(claims: &AccessClaims) -> (String, DateTime<Utc>) {
    jwt(&claims.jti, claims.exp)
}

/// Any JWT's (jti, expiry) from its `jti` and `exp` claims.
pub fn jwt(jti: &str, exp: i64) -> (String, DateTime<Utc>) {
    let expires_at = DateTime::from_timestamp(exp, 0).unwrap_or_else(Utc::now);
    (jti.to_owned(), expires_at)
}
