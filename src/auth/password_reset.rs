use super::{purpose, token_problem};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, NewPassword, RequestMeta};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::mail::templates::{self, SecurityChange};
use crate::state::AppState;
use crate::store::refresh_tokens::Families;
use crate::store::{browser_sessions, login_tickets, one_time_tokens, users};

/// Sends a reset link when the account exists. Always answers the same (enumeration safety).
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn request(state: &AppState, email: &Email, meta: &RequestMeta) -> Result<(), AppError> {
    state.limits.check_request(meta.ip).await?;
    let Some(user) = users::find_by_email(&state.db, email.normalized()).await? else {
        return Ok(());
    };
    if !user.is_active() || !state.limits.allow_mail_to(email.normalized()).await {
        return Ok(());
    }
    let txn = crate::store::begin(&state.writer).await?;
    issue(state, &txn, &user).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.password_reset_requested", Outcome::Success, meta).user(user.id),
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// Stores a new reset token for `user` (hashed) and queues the mail with its link, in `txn`;
/// the caller audits and wakes the mailer after committing. Also used by admins
/// (`admin::users::send_password_reset`).
pub async fn issue<C: sea_orm::ConnectionTrait>(
    state: &AppState,
    txn: &C,
    user: &users::User,
) -> Result<(), AppError> {
    let ttl = state.settings.tokens.password_reset_ttl_minutes;
    let token = random_token();
    let expires_at = crate::store::now() + chrono::Duration::minutes(ttl);
    let link = state.url(&format!("/reset-password?token={token}"));
    one_time_tokens::insert(
        txn,
        purpose::PASSWORD_RESET,
        hash_token(&token),
        Some(user.id),
        Some(user.email.clone()),
        expires_at,
        None,
    )
    .await?;
    state
        .mailer
        .enqueue(
            txn,
            &user.email,
            crate::i18n::in_locale(crate::i18n::for_recipient(user.locale.as_deref()), || {
                templates::password_reset(&link, ttl)
            })
            .map_err(anyhow::Error::new)?,
        )
        .await?;
    Ok(())
}

/// Tells whether a reset token can still be used, without consuming it.
pub async fn check(state: &AppState, token: &str) -> Result<(), AppError> {
    let row = one_time_tokens::find(&state.db, purpose::PASSWORD_RESET, &hash_token(token)).await?;
    token_problem(row.as_ref(), "reset").map_or(Ok(()), Err)
}

/// Consumes the token, sets the new password and revokes every session and trusted device of
/// the user.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn reset(
    state: &AppState,
    token: &str,
    password: NewPassword,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    check(state, token).await?;
    let hash = state.passwords.hash(password.into_secret()).await?;
    let txn = crate::store::begin(&state.writer).await?;
    let consumed = one_time_tokens::consume(
        &txn,
        purpose::PASSWORD_RESET,
        &hash_token(token),
        crate::store::now(),
    )
    .await?
    .ok_or_else(|| AppError::invalid("Reset token has already been used"))?;
    let user_id = consumed
        .user_id
        .ok_or_else(|| AppError::invalid("Invalid reset token"))?;
    let user = users::find_by_id(&txn, user_id)
        .await?
        .ok_or_else(|| AppError::invalid("Invalid reset token"))?;
    users::update_password_hash(&txn, user_id, Some(hash)).await?;
    // The mailbox owner proved control of the address.
    users::update_email_verified(&txn, user_id).await?;
    // No link mailed before this change may be used after it (a squatter's verification link
    // would otherwise set its own password again).
    one_time_tokens::end_all_for_account(&txn, user_id, &user.email_normalized).await?;
    let revoked = browser_sessions::revoke_all_for_user(&txn, user_id).await?;
    login_tickets::consume_all_for_user(&txn, user_id).await?;
    // Every trusted device too: whoever caused the reset may have signed in from one.
    let devices_revoked = crate::store::trusted_devices::revoke_all_for_user(&txn, user_id).await?;
    crate::oidc::revocation::revoke(state, &txn, Some(Families::User(user_id)), &[]).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.password_reset", Outcome::Success, meta)
            .user(user_id)
            .details(serde_json::json!({
                "sessions_revoked": revoked,
                "devices_revoked": devices_revoked,
            })),
    )
    .await?;
    super::notify::security_change(
        state,
        &txn,
        &user,
        SecurityChange::PasswordChanged,
        None,
        meta,
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
