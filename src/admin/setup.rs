//! The first-run setup link (`/setup?token=…`): while no platform owner exists, each `serve`
//! start makes a new 256-bit token, stores only its SHA-256 and prints the link to its own
//! output. The link's holder creates the first platform owner; the token is claimed in the
//! same transaction, so it works once, and two browsers racing with it create one owner.
//!
//! The token is the credential, so there is no admin actor: like the bootstrap token it is
//! checked here, and the audit event names `setup_link` as the actor.
use sea_orm::SqlErr;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, NewPassword, RequestMeta};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::users::{self, NewUser, User};
use crate::store::{INIT_LOCK, setup_link};

/// What the page shows for a setup link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    /// The current token: the form.
    Valid,
    /// Wrong, already used, or replaced by a later start.
    Invalid,
    /// Setup is over: the route answers 404 whatever the token.
    OwnerExists,
}

/// The outcome of a setup form that passed validation.
pub enum FirstOwner {
    /// The owner, signed in by the caller.
    Created(User),
    LinkInvalid,
    OwnerExists,
    /// Another account has this address; nothing was created and the link still works.
    EmailTaken,
}

/// At start: a new setup token while no platform owner exists (the raw token, to print;
/// the previous one stops working), else `None` and any leftover token is forgotten.
/// Instances starting together take turns under the init lock; each replaces the token, so
/// the link printed last is the one that works.
pub async fn issue_link(state: &AppState) -> Result<Option<String>, AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    crate::store::advisory_xact_lock(&txn, INIT_LOCK).await?;
    let token = if setup_link::owner_exists(&txn).await? {
        setup_link::clear(&txn).await?;
        None
    } else {
        let token = random_token();
        setup_link::replace(&txn, &hash_token(&token)).await?;
        Some(token)
    };
    txn.commit().await?;
    Ok(token)
}

/// Whether `token` opens the setup form.
pub async fn check_link(state: &AppState, token: &str) -> Result<LinkStatus, AppError> {
    if setup_link::owner_exists(&state.db).await? {
        return Ok(LinkStatus::OwnerExists);
    }
    Ok(
        if setup_link::is_current(&state.db, &hash_token(token)).await? {
            LinkStatus::Valid
        } else {
            LinkStatus::Invalid
        },
    )
}

/// Creates the first platform owner (verified, with `password`) if `token` is the current
/// setup token, using the token up in the same transaction.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn create_first_owner(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    email: &Email,
    password: NewPassword,
) -> Result<FirstOwner, AppError> {
    // Checked before the (costly) hash; the claim below is what decides.
    match check_link(state, token).await? {
        LinkStatus::Valid => {}
        LinkStatus::OwnerExists => return Ok(FirstOwner::OwnerExists),
        LinkStatus::Invalid => {
            tracing::warn!(
                ip = meta.ip_string(),
                "a wrong or used setup link was submitted"
            );
            return Ok(FirstOwner::LinkInvalid);
        }
    }
    let password_hash = state.passwords.hash(password.into_secret()).await?;
    let txn = crate::store::begin(&state.writer).await?;
    if !setup_link::claim(&txn, &hash_token(token)).await? {
        return Ok(FirstOwner::LinkInvalid);
    }
    if setup_link::owner_exists(&txn).await? {
        return Ok(FirstOwner::OwnerExists);
    }
    let inserted = users::insert(
        &txn,
        NewUser {
            email: email.as_str(),
            email_normalized: email.normalized(),
            // Whoever reads the server's output runs it: no mail round trip before the console.
            email_verified: true,
            password_hash: Some(password_hash),
        },
    )
    .await;
    let user = match inserted {
        Ok(user) => user,
        // Dropping the transaction rolls the claim back: the link still works.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(FirstOwner::EmailTaken);
        }
        Err(e) => return Err(e.into()),
    };
    users::set_platform_owner(&txn, user.id, true).await?;
    let mut event = AuditEvent::new("setup.owner_created", Outcome::Success, meta);
    event.actor = Some("setup_link".to_owned());
    event.target = Some(format!("user:{}", user.id));
    audit::record(&txn, event).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, "the first platform owner was created with the setup link");
    let user = users::find_by_id(&state.db, user.id)
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the new owner vanished")))?;
    Ok(FirstOwner::Created(user))
}
