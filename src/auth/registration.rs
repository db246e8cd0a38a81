use sea_orm::SqlErr;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, NewPassword, RequestMeta};
use crate::error::AppError;
use crate::mail::templates;
use crate::state::AppState;
use crate::store::users::{self, NewUser};

pub enum Registration {
    Created,
    /// The address already has an account; its owner was told by mail.
    AlreadyExists,
}

/// Creates an unverified account and queues the verification mail in the same transaction.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn register(
    state: &AppState,
    email: &Email,
    password: NewPassword,
    meta: &RequestMeta,
) -> Result<Registration, AppError> {
    state.limits.check_request(meta.ip).await?;
    // Hash first, also for known addresses, so timing does not tell them apart.
    let hash = state.passwords.hash(password.into_secret()).await?;
    if let Some(existing) = users::find_by_email(&state.db, email.normalized()).await? {
        notify_existing(state, &existing, hash).await?;
        return Ok(Registration::AlreadyExists);
    }
    let txn = crate::store::begin(&state.writer).await?;
    let new = NewUser {
        email: email.as_str(),
        email_normalized: email.normalized(),
        email_verified: false,
        password_hash: Some(hash.clone()),
    };
    let user = match users::insert(&txn, new).await {
        Ok(user) => user,
        // A concurrent registration won the race for this address.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Registration::AlreadyExists);
        }
        Err(e) => return Err(e.into()),
    };
    super::email_verification::issue(state, &txn, &user, Some(hash)).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.registered", Outcome::Success, meta).user(user.id),
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    tracing::info!(user_id = %user.id, "account registered");
    Ok(Registration::Created)
}

/// An address that already has an account: a verified one is told by mail; an unverified one
/// gets a verification link that, when used, sets the password of this registration.
async fn notify_existing(
    state: &AppState,
    existing: &users::User,
    password_hash: String,
) -> Result<(), AppError> {
    if !state.limits.allow_mail_to(&existing.email_normalized).await {
        return Ok(());
    }
    let txn = crate::store::begin(&state.writer).await?;
    if existing.email_verified {
        let locale = crate::i18n::for_recipient(existing.locale.as_deref());
        let email =
            crate::i18n::in_locale(locale, || templates::account_exists(&state.url("/login")))
                .map_err(anyhow::Error::new)?;
        state.mailer.enqueue(&txn, &existing.email, email).await?;
    } else {
        super::email_verification::issue(state, &txn, existing, Some(password_hash)).await?;
    }
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
