//! The step between the first factor and a session (or tokens): the risk check
//! (`auth::step_up`), five-minute login tickets (ten for an emailed code), bound to the browser
//! by cookie (or handed to the JSON client inside a pre-auth JWT), the second factor with per-user
//! limits, and enrolment forced by organization policy.
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::login_tickets::{self, LoginTicket};
use crate::store::users::User;
use crate::store::{organizations, to_json_list, totp_credentials, users};

pub const TICKET_MINUTES: i64 = 5;
pub const MAX_FAILURES: i32 = 5;
pub const PURPOSE_MFA: &str = "mfa";
pub const PURPOSE_ENROL: &str = "enrol";

pub const PURPOSE_EMAIL_CODE: &str = "email_code";

pub enum FirstFactor {
    /// No second factor needed: start the session with these methods.
    Complete(Vec<String>),
    /// A second factor is due; the ticket goes to the browser (cookie) or JSON client.
    SecondFactorDue { ticket: String },
    /// The risk check asks for a second step and there is no TOTP: a code was mailed.
    EmailCodeDue { ticket: String },
    /// Policy requires MFA but the user has none yet: enrol first.
    EnrolmentDue { ticket: String },
}

/// Whether the caller can run a second step. The JSON passkey sign-in cannot (seed 004: it
/// answers 403 "use another login method" instead).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StepUp {
    Offer,
    Refuse,
}

/// Decides what follows a successful first factor (`amr` so far, e.g. `["pwd"]`). Every sign-in
/// method passes here, so the risk check (`auth::step_up`) cannot be bypassed: a block is an
/// error, a step-up asks for TOTP when enrolled, else for a code mailed to the account.
pub async fn after_first_factor(
    state: &AppState,
    user: &User,
    amr: Vec<String>,
    next: Option<&str>,
    client_id: Option<&str>,
    meta: &RequestMeta,
    step_up: StepUp,
) -> Result<FirstFactor, AppError> {
    let assessment = super::step_up::check(state, user, &amr, meta).await?;
    let risky = assessment.is_some_and(|a| a.decision == super::risk::Decision::StepUp);
    if risky && step_up == StepUp::Refuse {
        return Err(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "Additional verification required. Please use another login method.".into(),
        });
    }
    // A first factor that is already multi-factor (a passkey with user verification) completes.
    if amr.iter().any(|m| m == "mfa") && !risky {
        return Ok(FirstFactor::Complete(amr));
    }
    let purpose = if totp_credentials::is_enabled(&state.db, user.id).await? {
        PURPOSE_MFA
    } else if risky {
        PURPOSE_EMAIL_CODE
    } else if organizations::requires_mfa(&state.db, user.id).await? {
        PURPOSE_ENROL
    } else {
        return Ok(FirstFactor::Complete(amr));
    };
    let (ticket, row) = new_ticket(user, purpose, &amr, next, client_id);
    if purpose == PURPOSE_EMAIL_CODE {
        super::step_up::send_code(state, user, row, meta).await?;
        return Ok(FirstFactor::EmailCodeDue { ticket });
    }
    login_tickets::insert(&state.db, row).await?;
    Ok(if purpose == PURPOSE_MFA {
        FirstFactor::SecondFactorDue { ticket }
    } else {
        FirstFactor::EnrolmentDue { ticket }
    })
}

/// After an emailed code: enrolment when the organization's policy requires MFA and there is
/// none yet, otherwise the sign-in is complete.
pub async fn after_email_code(
    state: &AppState,
    user: &User,
    ticket: &LoginTicket,
) -> Result<FirstFactor, AppError> {
    let amr = with_second_factor(ticket);
    if !organizations::requires_mfa(&state.db, user.id).await? {
        return Ok(FirstFactor::Complete(amr));
    }
    let (token, row) = new_ticket(
        user,
        PURPOSE_ENROL,
        &ticket.amr_list(),
        ticket.next_path.as_deref(),
        ticket.client_id.as_deref(),
    );
    login_tickets::insert(&state.db, row).await?;
    Ok(FirstFactor::EnrolmentDue { ticket: token })
}

/// A new ticket (the token for the browser or client, the row with its hash).
fn new_ticket(
    user: &User,
    purpose: &str,
    amr: &[String],
    next: Option<&str>,
    client_id: Option<&str>,
) -> (String, LoginTicket) {
    let ticket = random_token();
    let now = crate::store::now();
    let row = LoginTicket {
        id: Uuid::new_v4(),
        ticket_hash: hash_token(&ticket),
        user_id: user.id,
        purpose: purpose.to_owned(),
        amr: to_json_list(amr),
        next_path: next.map(str::to_owned),
        client_id: client_id.map(str::to_owned),
        failed_attempts: 0,
        created_at: now,
        // A JSON sign-in's ticket lives as long as its pre-auth JWT (seed 004: 10 min).
        expires_at: now
            + chrono::Duration::minutes(if client_id.is_some() {
                crate::auth::preauth::PREAUTH_MINUTES
            } else {
                TICKET_MINUTES
            }),
        used_at: None,
        code_hash: None,
    };
    (ticket, row)
}

/// A live ticket and its user.
pub async fn load_ticket(
    state: &AppState,
    token: &str,
    purpose: &str,
) -> Result<(LoginTicket, User), AppError> {
    load_ticket_for(state, token, &[purpose]).await
}

/// A live ticket of one of `purposes` and its user.
pub async fn load_ticket_for(
    state: &AppState,
    token: &str,
    purposes: &[&str],
) -> Result<(LoginTicket, User), AppError> {
    let expired = || AppError::invalid("Your sign-in expired. Please sign in again.");
    let ticket = login_tickets::find_live(&state.db, &hash_token(token), crate::store::now())
        .await?
        .filter(|t| purposes.contains(&t.purpose.as_str()))
        .ok_or_else(expired)?;
    let user = users::find_active(&state.db, ticket.user_id)
        .await?
        .ok_or_else(expired)?;
    Ok((ticket, user))
}

/// Checks a TOTP or backup code for a ticket. On success the ticket is used up and the methods
/// for the session are returned. Only wrong codes count against the user's limit; each ticket
/// gets five codes checked at most (claimed atomically before checking), then it dies.
pub async fn verify_second_factor(
    state: &AppState,
    ticket: &LoginTicket,
    user: &User,
    raw_code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    // A malformed code cannot be right, so it is explained without counting.
    let totp_code = match super::totp::normalize_code(raw_code) {
        Ok(code) => Some(code),
        Err(_) if super::backup_codes::normalize(raw_code).is_some() => None,
        Err(message) => return Err(AppError::invalid(message)),
    };
    let attempt = state.limits.begin_mfa(user.id)?;
    let expired = || AppError::invalid("Your sign-in expired. Please sign in again.");
    if !login_tickets::claim_attempt(&state.db, ticket.id, MAX_FAILURES).await? {
        attempt.release();
        return Err(expired());
    }
    let (valid, method) = match totp_code {
        Some(code) => (super::totp::verify(state, user, &code).await?, "totp"),
        None => (
            super::backup_codes::consume(state, user.id, raw_code).await?,
            "backup_code",
        ),
    };
    if !valid {
        login_tickets::end_if_exhausted(&state.db, ticket.id, MAX_FAILURES).await?;
        audit::record(
            &state.db,
            AuditEvent::new("mfa.verify", Outcome::Failure, meta)
                .user(user.id)
                .details(serde_json::json!({ "method": method })),
        )
        .await?;
        return Err(AppError::invalid("Invalid MFA code"));
    }
    if !login_tickets::consume(&state.db, ticket.id).await? {
        return Err(expired());
    }
    attempt.release();
    audit::record(
        &state.db,
        AuditEvent::new(
            if method == "totp" {
                "mfa.verify"
            } else {
                "mfa.backup_code_used"
            },
            Outcome::Success,
            meta,
        )
        .user(user.id)
        .details(serde_json::json!({ "method": method })),
    )
    .await?;
    Ok(with_second_factor(ticket))
}

/// The ticket's first-factor methods plus the one-time code that completed it (RFC 8176).
pub fn with_second_factor(ticket: &LoginTicket) -> Vec<String> {
    let mut amr = ticket.amr_list();
    for method in ["otp", "mfa"] {
        if !amr.iter().any(|m| m == method) {
            amr.push(method.to_owned());
        }
    }
    amr
}

/// Enrolment forced by policy during sign-in: confirms the TOTP secret this ticket started,
/// uses the ticket up and returns the backup codes to show once and the methods for the
/// session.
pub async fn complete_enrolment(
    state: &AppState,
    ticket: &LoginTicket,
    user: &User,
    code: &str,
    meta: &RequestMeta,
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let owner = super::totp::EnrolmentOwner::Ticket(ticket.id);
    let codes = super::totp::confirm_enrolment(state, user, owner, code, meta).await?;
    if !login_tickets::consume(&state.db, ticket.id).await? {
        return Err(AppError::invalid(
            "Your sign-in expired. Please sign in again.",
        ));
    }
    Ok((codes, with_second_factor(ticket)))
}
