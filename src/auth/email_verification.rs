use sea_orm::ConnectionTrait;

use super::{purpose, token_problem};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::mail::templates;
use crate::state::AppState;
use crate::store::{one_time_tokens, users, users::User};

/// Creates a verification token and queues its mail in the caller's transaction. A link sent
/// by a registration carries that registration's password hash: verifying applies it.
pub async fn issue<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &User,
    password_hash: Option<String>,
) -> Result<(), AppError> {
    let ttl = state.settings.tokens.email_verification_ttl_minutes;
    let token = random_token();
    let expires_at = crate::store::now() + chrono::Duration::minutes(ttl);
    one_time_tokens::insert(
        db,
        purpose::VERIFY_EMAIL,
        hash_token(&token),
        Some(user.id),
        Some(user.email.clone()),
        expires_at,
        password_hash,
    )
    .await?;
    let link = state.url(&format!("/verify-email?token={token}"));
    let email = templates::verify_email(&link, ttl).map_err(anyhow::Error::new)?;
    state.mailer.enqueue(db, &user.email, email).await?;
    Ok(())
}

/// Consumes a verification token and marks the address verified.
pub async fn verify(state: &AppState, token: &str, meta: &RequestMeta) -> Result<User, AppError> {
    let hash = hash_token(token);
    let txn = crate::store::begin(&state.db).await?;
    let row = one_time_tokens::find(&txn, purpose::VERIFY_EMAIL, &hash).await?;
    if let Some(problem) = token_problem(row.as_ref(), "verification") {
        return Err(problem);
    }
    let consumed =
        one_time_tokens::consume(&txn, purpose::VERIFY_EMAIL, &hash, crate::store::now())
            .await?
            .ok_or_else(|| AppError::invalid("Verification token has already been used"))?;
    let user_id = consumed
        .user_id
        .ok_or_else(|| AppError::invalid("Invalid verification token"))?;
    users::update_email_verified(&txn, user_id).await?;
    // The password chosen by the registration this link answers, not whatever an earlier
    // (possibly someone else's) registration of the same address left on the account.
    if let Some(hash) = consumed.password_hash {
        users::update_password_hash(&txn, user_id, Some(hash)).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new("user.email_verified", Outcome::Success, meta).user(user_id),
    )
    .await?;
    let user = users::find_by_id(&txn, user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    Ok(user)
}

/// Sends a fresh link to an unverified account. Answers the same whatever the address.
pub async fn resend(state: &AppState, email: &Email, meta: &RequestMeta) -> Result<(), AppError> {
    state.limits.check_request(meta.ip)?;
    let Some(user) = users::find_by_email(&state.db, email.normalized()).await? else {
        return Ok(());
    };
    if user.email_verified || !state.limits.allow_mail_to(email.normalized()) {
        return Ok(());
    }
    let txn = crate::store::begin(&state.db).await?;
    issue(state, &txn, &user, None).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
