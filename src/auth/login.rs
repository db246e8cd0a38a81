use secrecy::SecretString;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::{AppError, ErrorCode};
use crate::metrics::{SignInMethod, SignInOutcome};
use crate::state::AppState;
use crate::store::users::{self, User};

/// Checks an email and password. Unknown emails and wrong passwords take the same time (dummy
/// hash) and produce the same error; attempts are throttled per IP and per account.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn authenticate_password(
    state: &AppState,
    email_raw: &str,
    password: SecretString,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let email = Email::parse(email_raw).ok();
    let account_key = email.as_ref().map_or_else(
        || email_raw.trim().to_lowercase(),
        |e| e.normalized().to_owned(),
    );
    // A throttled attempt writes no row of its own (a flood must not grow the database); it
    // is counted in the limits' tally and audited once per minute in aggregate.
    if let Err(refused) = state.limits.check_login(meta.ip, &account_key).await {
        if matches!(refused, AppError::RateLimited { .. }) {
            state
                .metrics
                .sign_in(SignInMethod::Password, SignInOutcome::Throttled);
        }
        return Err(refused);
    }
    let user = match &email {
        Some(email) => users::find_by_email(&state.db, email.normalized()).await?,
        None => None,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let verification = state.passwords.verify(password.clone(), stored).await?;
    let Some(user) = user.as_ref().filter(|_| verification.valid).cloned() else {
        // The risk score's history: failures per account and per network.
        crate::auth::step_up::record_failure(
            state,
            &account_key,
            user.as_ref().map(|u| u.id),
            meta,
        )
        .await?;
        let mut event = AuditEvent::new("user.login", Outcome::Failure, meta)
            .details(serde_json::json!({ "method": "pwd", "reason": "invalid_credentials" }));
        if let Some(known) = &user {
            event = event.user(known.id);
        }
        audit::record(&state.db, event).await?;
        state
            .metrics
            .sign_in(SignInMethod::Password, SignInOutcome::Failure);
        return Err(AppError::bad_credentials());
    };
    if !user.is_active() {
        return Err(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "This account is disabled".into(),
        });
    }
    if !user.email_verified {
        return Err(AppError::Forbidden {
            code: ErrorCode::EmailNotVerified,
            message: "Please verify your email address before logging in".into(),
        });
    }
    if verification.needs_rehash {
        // Parameters changed since this hash was made: upgrade it while we hold the password.
        let hash = state.passwords.hash(password).await?;
        users::update_password_hash(&state.db, user.id, Some(hash)).await?;
        tracing::info!(user_id = %user.id, "password rehashed with current parameters");
    }
    Ok(user)
}
