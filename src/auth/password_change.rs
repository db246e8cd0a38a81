//! Changing the password from the account page: the current password is required, every other
//! session and every mailed link of the account end, and the owner is told by mail.
use secrecy::SecretString;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{NewPassword, RequestMeta};
use crate::error::{AppError, ErrorCode};
use crate::mail::templates::SecurityChange;
use crate::state::AppState;
use crate::store::refresh_tokens::Families;
use crate::store::users::{self, User};
use crate::store::{browser_sessions, one_time_tokens};

/// Sets `new` after checking `current`; `keep` is the session making the change. A wrong
/// current password is `Unauthorized` (and counts against the sign-in limits of the account,
/// so this form cannot be used to guess it faster than the sign-in page).
pub async fn change(
    state: &AppState,
    user: &User,
    keep: Uuid,
    current: SecretString,
    new: NewPassword,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    state
        .limits
        .check_login(meta.ip, &user.email_normalized)
        .await?;
    let verified = state
        .passwords
        .verify(current, user.password_hash.clone())
        .await?;
    if !verified.valid || user.password_hash.is_none() {
        audit::record(
            &state.db,
            AuditEvent::new("user.password_change_refused", Outcome::Failure, meta).user(user.id),
        )
        .await?;
        return Err(AppError::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: "That is not your current password.".into(),
        });
    }
    let hash = state.passwords.hash(new.into_secret()).await?;
    let txn = crate::store::begin(&state.writer).await?;
    users::update_password_hash(&txn, user.id, Some(hash)).await?;
    one_time_tokens::end_all_for_account(&txn, user.id, &user.email_normalized).await?;
    let mut ended = Vec::new();
    for session in browser_sessions::list_active_for_user(&txn, user.id).await? {
        if session.id != keep {
            browser_sessions::revoke(&txn, session.id).await?;
            crate::oidc::revocation::revoke(state, &txn, Some(Families::Session(session.id)), &[])
                .await?;
            ended.push(session.id);
        }
    }
    audit::record(
        &txn,
        AuditEvent::new("user.password_changed", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "sessions_revoked": ended.len() })),
    )
    .await?;
    super::notify::security_change(
        state,
        &txn,
        user,
        SecurityChange::PasswordChanged,
        None,
        meta,
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
