//! The risk check of every sign-in, run by `mfa::after_first_factor` (the one place each
//! method passes after its first factor): gathers the facts from the store, scores them with
//! `auth::risk`, audits the decision with its score and rules, and for a block tells the owner.
//! Also the emailed one-time code of a step-up for accounts without TOTP.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::devices::{self, Notice};
use super::risk::{self, Assessment, Decision, Facts};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::login_tickets::{self, LoginTicket};
use crate::store::users::User;
use crate::store::{now, org_risk_policies, sign_in_attempts};

/// Minutes an emailed code (and its ticket) stays valid.
pub const CODE_MINUTES: i64 = 10;
/// Window of the failure rules.
const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Window of the distinct-accounts rule.
const ACCOUNTS_WINDOW_MINUTES: i64 = 60;

/// The seed's answer to a blocked sign-in.
pub fn blocked() -> AppError {
    AppError::Forbidden {
        code: ErrorCode::Forbidden,
        message: "Suspicious login detected. Please contact support.".into(),
    }
}

/// Scores this sign-in of `user` (first factor passed, methods `amr`) and audits the decision.
/// A block is returned as the error of [`blocked`], after the owner has been told by mail.
/// `None` when the engine is turned off (`risk.enabled = false`).
pub async fn check(
    state: &AppState,
    user: &User,
    amr: &[String],
    meta: &RequestMeta,
) -> Result<Option<Assessment>, AppError> {
    if !state.settings.risk.enabled {
        return Ok(None);
    }
    let facts = facts(state, user, amr, meta).await?;
    let assessment = risk::assess(&facts, &state.settings.risk);
    let method = super::sessions::login_method(amr);
    let outcome = if assessment.decision == Decision::Block {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let txn = crate::store::begin(&state.writer).await?;
    audit::record(
        &txn,
        AuditEvent::new("risk.assessed", outcome, meta)
            .user(user.id)
            .details(serde_json::json!({
                "method": method,
                "score": assessment.score,
                "rules": assessment.rules,
                "decision": assessment.decision,
            })),
    )
    .await?;
    // Someone who has the password can cause blocks at will: their mails share the address's
    // mail budget, so that cannot flood the owner's mailbox.
    if assessment.decision == Decision::Block
        && state.limits.allow_mail_to(&user.email_normalized).await
    {
        devices::notify(state, &txn, user, meta, method, Notice::Blocked).await?;
    }
    txn.commit().await?;
    if assessment.decision == Decision::Block {
        state.mailer.wake();
        return Err(blocked());
    }
    Ok(Some(assessment))
}

async fn facts(
    state: &AppState,
    user: &User,
    amr: &[String],
    meta: &RequestMeta,
) -> Result<Facts, AppError> {
    let db = &state.db;
    let now = now();
    let network = devices::network_of(meta);
    let since = now - chrono::Duration::days(devices::HISTORY_DAYS);
    let (has_history, from_network) =
        sign_in_attempts::history(db, user.id, meta.ip.map(|_| network.as_str()), since).await?;
    let failures_since = now - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let (network_failures, network_accounts) = if meta.ip.is_some() {
        let accounts_since = now - chrono::Duration::minutes(ACCOUNTS_WINDOW_MINUTES);
        (
            sign_in_attempts::failures_from(db, &network, failures_since).await?,
            sign_in_attempts::accounts_from(db, &network, accounts_since, 100).await?,
        )
    } else {
        (0, 0)
    };
    Ok(Facts {
        has_history,
        trusted_device: devices::presented(db, user, meta).await?.is_some(),
        // Without an address there is nothing to compare: the rule cannot fire.
        known_network: meta.ip.is_none() || from_network,
        account_failures: sign_in_attempts::failures_of_user(db, user.id, failures_since).await?,
        network_failures,
        network_accounts,
        strong_factor: amr.iter().any(|m| m == "mfa"),
        org_forces_step_up: org_risk_policies::forced_for_user(db, user.id).await?,
    })
}

/// A failed first factor (wrong password) for the history: `account` is the address as typed
/// (lower-cased), `user_id` when it names an account.
pub async fn record_failure(
    state: &AppState,
    account: &str,
    user_id: Option<Uuid>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    sign_in_attempts::insert(
        &state.db,
        user_id,
        devices::account_key(account),
        devices::network_of(meta),
        false,
    )
    .await?;
    Ok(())
}

/// Peppered (master key) SHA-256 of a code, bound to its ticket: a copy of the database alone
/// does not give the million candidates away.
fn code_hash(state: &AppState, ticket_id: Uuid, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(state.master.derive("sign-in codes"));
    hasher.update(ticket_id.as_bytes());
    hasher.update(code.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Creates the `email_code` ticket and mails its six-digit code, in one transaction. Rate
/// limited by the per-address mail budget (`rate_limit.mail_per_address_per_hour`).
pub async fn send_code(
    state: &AppState,
    user: &User,
    mut ticket: LoginTicket,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if !state.limits.allow_mail_to(&user.email_normalized).await {
        return Err(AppError::RateLimited {
            retry_after: std::time::Duration::from_secs(15 * 60),
            limit: state.settings.rate_limit.mail_per_address_per_hour,
        });
    }
    let code = {
        use rand::RngExt;
        format!("{:06}", rand::rng().random_range(0..1_000_000u32))
    };
    ticket.code_hash = Some(code_hash(state, ticket.id, &code));
    ticket.expires_at = ticket.created_at + chrono::Duration::minutes(CODE_MINUTES);
    let locale = crate::i18n::for_recipient(user.locale.as_deref());
    let when = crate::i18n::format_utc(now(), locale);
    let ip = meta.ip_string();
    let browser = devices::browser_of(meta.user_agent.as_deref());
    let method = super::sessions::login_method(&ticket.amr_list());
    let email = crate::i18n::in_locale(locale, || {
        crate::mail::templates::sign_in_code(
            &code,
            CODE_MINUTES,
            &crate::mail::templates::SignInContext {
                when: &when,
                ip: ip.as_deref(),
                browser: &browser,
                method: devices::method_label(method),
            },
            &state.url("/forgot-password"),
        )
    })
    .map_err(anyhow::Error::new)?;
    let txn = crate::store::begin(&state.writer).await?;
    login_tickets::insert(&txn, ticket).await?;
    state.mailer.enqueue(&txn, &user.email, email).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// Checks an emailed code against its ticket: six digits, constant-time comparison, at most
/// five codes per ticket (claimed before checking), wrong codes also count against the user's
/// second-factor window. On success the ticket is used up.
pub async fn verify_code(
    state: &AppState,
    ticket: &LoginTicket,
    user: &User,
    raw_code: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let code: String = raw_code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("Enter the 6-digit code from the email"));
    }
    let attempt = state.limits.begin_mfa(user.id)?;
    let expired = || AppError::invalid("Your sign-in expired. Please sign in again.");
    if !login_tickets::claim_attempt(&state.db, ticket.id, super::mfa::MAX_FAILURES).await? {
        attempt.release();
        return Err(expired());
    }
    let expected = ticket.code_hash.as_deref().unwrap_or_default();
    let valid = !expected.is_empty()
        && crate::keys::constant_time_eq(&code_hash(state, ticket.id, &code), expected);
    if !valid {
        let ended =
            login_tickets::end_if_exhausted(&state.db, ticket.id, super::mfa::MAX_FAILURES).await?;
        audit::record(
            &state.db,
            AuditEvent::new("risk.code_verify", Outcome::Failure, meta).user(user.id),
        )
        .await?;
        return Err(if ended {
            AppError::invalid("Too many wrong codes. Please sign in again.")
        } else {
            AppError::invalid("Invalid code")
        });
    }
    if !login_tickets::consume(&state.db, ticket.id).await? {
        return Err(expired());
    }
    attempt.release();
    audit::record(
        &state.db,
        AuditEvent::new("risk.code_verify", Outcome::Success, meta).user(user.id),
    )
    .await?;
    Ok(())
}
