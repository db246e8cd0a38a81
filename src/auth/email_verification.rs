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

/// The outcome of a verification link.
pub struct Verified {
    pub user: User,
    /// Several sign-ups of this address were waiting with different passwords: none was kept,
    /// since the link proves the mailbox but not which sign-up was its owner's.
    pub password_withheld: bool,
}

/// Consumes a verification token and marks the address verified. Every other emailed link of
/// the account ends in the same transaction.
pub async fn verify(
    state: &AppState,
    token: &str,
    meta: &RequestMeta,
) -> Result<Verified, AppError> {
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
    let before = users::find_by_id(&txn, user_id)
        .await?
        .ok_or_else(|| AppError::invalid("Invalid verification token"))?;
    let mut password_withheld = false;
    // An account that is already verified keeps its password: its owner chose it since.
    if let (false, Some(chosen)) = (before.email_verified, consumed.password_hash) {
        // The password of the registration this link answers, not whatever an earlier
        // (possibly someone else's) registration left on the account; and none at all while
        // another registration's link is still waiting, since the mailbox owner may be
        // following a link someone else's sign-up sent them.
        let competing = one_time_tokens::count_competing_registrations(
            &txn,
            user_id,
            purpose::VERIFY_EMAIL,
            &chosen,
        )
        .await?;
        password_withheld = competing > 0;
        let password = (!password_withheld).then_some(chosen);
        users::update_password_hash(&txn, user_id, password).await?;
    }
    users::update_email_verified(&txn, user_id).await?;
    // The other registrations' links (and any reset or magic link) end with this one.
    one_time_tokens::end_all_for_account(&txn, user_id, &before.email_normalized).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.email_verified", Outcome::Success, meta)
            .user(user_id)
            .details(serde_json::json!({ "password_withheld": password_withheld })),
    )
    .await?;
    let user = users::find_by_id(&txn, user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    Ok(Verified {
        user,
        password_withheld,
    })
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
