//! Passwordless sign-in by email. Links are 256-bit, stored as SHA-256, valid
//! `magic_link.ttl_minutes` (15) and single use. Rule for repeated requests: a new link
//! replaces every unused older link to the same address (older links stop working; nothing is
//! extended). Requests answer the same whether or not the address has an account.
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::mail::templates;
use crate::state::AppState;
use crate::store::one_time_tokens;
use crate::store::users::{self, NewUser, User};

use super::{purpose, token_problem};

/// Sends a link when the address has an account (or sign-up by link is allowed, and
/// `sign_up_open`: the service's organization is not invite-only).
/// `context` names what the user signs in to (service and org, or the deployment).
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn request(
    state: &AppState,
    email: &Email,
    next: Option<&str>,
    context: &str,
    brand: Option<&crate::branding::Brand>,
    sign_up_open: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    state.limits.check_request(meta.ip).await?;
    state
        .limits
        .check_magic_link(meta.ip, email.normalized())
        .await?;
    let user = users::find_by_email(&state.db, email.normalized()).await?;
    let allowed = match &user {
        Some(user) => user.is_active(),
        None => state.settings.magic_link.allow_signup && sign_up_open,
    };
    if !allowed {
        return Ok(());
    }
    let ttl = state.settings.magic_link.ttl_minutes;
    let token = random_token();
    let link = state.url(&format!("/magic-link/verify?token={token}"));
    let txn = crate::store::begin(&state.writer).await?;
    one_time_tokens::invalidate_for_email(&txn, email.normalized(), purpose::MAGIC_LINK).await?;
    one_time_tokens::insert_magic_link(
        &txn,
        hash_token(&token),
        user.as_ref().map(|u| u.id),
        email.normalized(),
        next.map(str::to_owned),
        crate::store::now() + chrono::Duration::minutes(ttl),
    )
    .await?;
    let to = user.as_ref().map_or(email.as_str(), |u| u.email.as_str());
    state
        .mailer
        .enqueue(
            &txn,
            to,
            crate::i18n::in_locale(
                crate::i18n::for_recipient(user.as_ref().and_then(|u| u.locale.as_deref())),
                || templates::magic_link(&link, ttl, context, brand),
            )
            .map_err(anyhow::Error::new)?,
        )
        .await?;
    let mut event = AuditEvent::new("magic_link.requested", Outcome::Success, meta);
    if let Some(user) = &user {
        event = event.user(user.id);
    }
    audit::record(&txn, event).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// Whether a link can still be used, without consuming it (the GET page): the address it signs
/// in, which the page names so that nobody is signed in to someone else's account unawares
/// (a link requested by another person and passed on).
pub async fn check(state: &AppState, token: &str) -> Result<String, AppError> {
    let row = one_time_tokens::find(&state.db, purpose::MAGIC_LINK, &hash_token(token)).await?;
    if token_problem(row.as_ref(), "magic link").is_some() {
        return Err(invalid_link());
    }
    row.and_then(|r| r.email).ok_or_else(invalid_link)
}

fn invalid_link() -> AppError {
    AppError::invalid("Invalid or expired magic link")
}

/// Consumes a link: the address is verified (the account is created when sign-up by link is
/// allowed). Returns the user and where sign-in resumes.
pub async fn redeem(
    state: &AppState,
    token: &str,
    meta: &RequestMeta,
) -> Result<(User, Option<String>), AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    let row = one_time_tokens::consume(
        &txn,
        purpose::MAGIC_LINK,
        &hash_token(token),
        crate::store::now(),
    )
    .await?;
    let Some(row) = row else {
        state.metrics.sign_in(
            crate::metrics::SignInMethod::MagicLink,
            crate::metrics::SignInOutcome::Failure,
        );
        return Err(invalid_link());
    };
    let email = row.email.clone().ok_or_else(invalid_link)?;
    let user = match users::find_by_email(&txn, &email).await? {
        Some(user) if user.is_active() => user,
        Some(_) => return Err(invalid_link()),
        None if state.settings.magic_link.allow_signup => {
            let parsed = Email::parse(&email).map_err(|_| invalid_link())?;
            let user = users::insert(
                &txn,
                NewUser {
                    email: parsed.as_str(),
                    email_normalized: parsed.normalized(),
                    email_verified: true,
                    password_hash: None,
                },
            )
            .await?;
            audit::record(
                &txn,
                AuditEvent::new("user.registered", Outcome::Success, meta)
                    .user(user.id)
                    .details(serde_json::json!({ "method": "magic_link" })),
            )
            .await?;
            user
        }
        None => return Err(AppError::invalid("User not found. Please register first.")),
    };
    // Signing in by link ends every other link of the account, this address's sign-up links
    // and a squatter's verification link included.
    one_time_tokens::end_all_for_account(&txn, user.id, &user.email_normalized).await?;
    if !user.email_verified {
        // Whoever registered the address may not own the mailbox: the link proves the mailbox,
        // not that password, so the password goes (forgot-password sets a new one).
        users::update_email_verified(&txn, user.id).await?;
        users::update_password_hash(&txn, user.id, None).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new("magic_link.used", Outcome::Success, meta).user(user.id),
    )
    .await?;
    txn.commit().await?;
    let user = users::find_by_id(&state.db, user.id)
        .await?
        .ok_or_else(invalid_link)?;
    Ok((user, row.next_path))
}
