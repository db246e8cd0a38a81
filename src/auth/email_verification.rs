use sea_orm::ConnectionTrait;
use secrecy::SecretString;

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
    let locale = crate::i18n::for_recipient(user.locale.as_deref());
    let email = crate::i18n::in_locale(locale, || templates::verify_email(&link, ttl))
        .map_err(anyhow::Error::new)?;
    state.mailer.enqueue(db, &user.email, email).await?;
    Ok(())
}

/// What the person following a verification link can say about the password they chose.
pub enum PasswordProof {
    /// An interactive page: ask when several sign-ups compete for the address.
    AskIfContested,
    /// The password typed on that page.
    Given(SecretString),
    /// A consuming GET (seed API): nothing can be asked, so a contested password is withheld.
    Unavailable,
}

pub enum Verification {
    Verified(Box<Verified>),
    /// Several sign-ups of this address are waiting: the page asks for the password chosen at
    /// sign-up before using the link (the token is not consumed yet).
    PasswordNeeded,
}

pub struct Verified {
    pub user: User,
    /// The sign-ups competed and no password was proven: none was kept (the owner sets one
    /// through a reset link).
    pub password_withheld: bool,
}

/// Why a verification link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Used,
    Expired,
}

/// Whether a verification link can still be used, without consuming it (the GET page shows
/// its button only then).
pub async fn check(state: &AppState, token: &str) -> Result<Option<LinkProblem>, AppError> {
    let row = one_time_tokens::find(&state.db, purpose::VERIFY_EMAIL, &hash_token(token)).await?;
    Ok(match row {
        None => Some(LinkProblem::Unknown),
        Some(t) if t.used_at.is_some() => Some(LinkProblem::Used),
        Some(t) if t.expires_at <= crate::store::now() => Some(LinkProblem::Expired),
        Some(_) => None,
    })
}

/// Consumes a verification token and marks the address verified; every other emailed link of
/// the account ends in the same transaction.
///
/// The link proves the mailbox, not which sign-up was the mailbox owner's: someone may have
/// registered the address first with a password of theirs. While the sign-ups of the address
/// chose one password between them, it is applied. When they chose different ones, the person
/// must type the password they chose, and the matching one is applied (none if nothing
/// matches). An account that is already verified never has its password changed by a link.
pub async fn verify(
    state: &AppState,
    token: &str,
    proof: PasswordProof,
    meta: &RequestMeta,
) -> Result<Verification, AppError> {
    let hash = hash_token(token);
    let row = one_time_tokens::find(&state.db, purpose::VERIFY_EMAIL, &hash).await?;
    if let Some(problem) = token_problem(row.as_ref(), "verification") {
        return Err(problem);
    }
    let invalid = || AppError::invalid("Invalid verification token");
    let row = row.ok_or_else(invalid)?;
    let user_id = row.user_id.ok_or_else(invalid)?;
    let before = users::find_by_id(&state.db, user_id)
        .await?
        .ok_or_else(invalid)?;
    // The passwords the sign-ups of an unverified address chose: the one the account was
    // created with, this link's, and those of other links still waiting.
    let mut candidates: Vec<String> = Vec::new();
    if !before.email_verified {
        let pending = one_time_tokens::pending_registration_passwords(
            &state.db,
            user_id,
            purpose::VERIFY_EMAIL,
        )
        .await?;
        for hash in before
            .password_hash
            .iter()
            .chain(&row.password_hash)
            .chain(&pending)
        {
            if !candidates.contains(hash) {
                candidates.push(hash.clone());
            }
        }
    }
    let password_withheld = candidates.len() > 1;
    let password = if password_withheld {
        match proof {
            PasswordProof::AskIfContested => return Ok(Verification::PasswordNeeded),
            PasswordProof::Given(typed) => matching_hash(state, typed, candidates).await?,
            PasswordProof::Unavailable => None,
        }
    } else {
        candidates.pop()
    };
    let password_withheld = password_withheld && password.is_none();
    let txn = crate::store::begin(&state.writer).await?;
    one_time_tokens::consume(&txn, purpose::VERIFY_EMAIL, &hash, crate::store::now())
        .await?
        .ok_or_else(|| AppError::invalid("Verification token has already been used"))?;
    if !before.email_verified {
        users::update_password_hash(&txn, user_id, password).await?;
    }
    users::update_email_verified(&txn, user_id).await?;
    // The other sign-ups' links (and any reset or magic link) end with this one.
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
    Ok(Verification::Verified(Box::new(Verified {
        user,
        password_withheld,
    })))
}

/// The first stored hash the typed password matches (Argon2 on the blocking pool).
async fn matching_hash(
    state: &AppState,
    typed: SecretString,
    candidates: Vec<String>,
) -> Result<Option<String>, AppError> {
    for candidate in candidates {
        if state
            .passwords
            .verify(typed.clone(), Some(candidate.clone()))
            .await?
            .valid
        {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// Sends a fresh link to an unverified account. Answers the same whatever the address.
pub async fn resend(state: &AppState, email: &Email, meta: &RequestMeta) -> Result<(), AppError> {
    state.limits.check_request(meta.ip).await?;
    let Some(user) = users::find_by_email(&state.db, email.normalized()).await? else {
        return Ok(());
    };
    if user.email_verified || !state.limits.allow_mail_to(email.normalized()).await {
        return Ok(());
    }
    let txn = crate::store::begin(&state.writer).await?;
    issue(state, &txn, &user, None).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
