//! Browser sessions: the cookie carries an opaque 256-bit token; the row holds its SHA-256.
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::oidc::revocation;
use crate::state::AppState;
use crate::store::browser_sessions::{self, BrowserSession, NewSession};
use crate::store::refresh_tokens::Families;
use crate::store::users::{self, User};

/// Changing how an account signs in (adding or removing a passkey or an authenticator app, new
/// backup codes) needs a sign-in this recent: a borrowed session or token cannot plant a way in.
pub const REAUTH_MINUTES: i64 = 10;

/// Whether a sign-in at `auth_time` is recent enough for such a change.
pub fn signed_in_recently(auth_time: chrono::DateTime<chrono::Utc>) -> bool {
    auth_time >= crate::store::now() - chrono::Duration::minutes(REAUTH_MINUTES)
}

/// The cookies of a started session: the session itself and the trusted device.
pub struct Started {
    pub session: String,
    pub device: String,
}

/// Starts a session after successful authentication and remembers the device, in one
/// transaction; returns the cookie values.
pub async fn start(
    state: &AppState,
    user: &User,
    amr: &[String],
    meta: &RequestMeta,
) -> Result<Started, AppError> {
    let token = random_token();
    let expires_at =
        crate::store::now() + chrono::Duration::hours(state.settings.session.ttl_hours);
    let method = login_method(amr);
    let txn = crate::store::begin(&state.writer).await?;
    let session = browser_sessions::insert(
        &txn,
        NewSession {
            token_hash: hash_token(&token),
            user_id: user.id,
            amr,
            ip: meta.ip_string(),
            user_agent: meta
                .user_agent
                .as_ref()
                .map(|ua| ua.chars().take(512).collect()),
            expires_at,
        },
    )
    .await?;
    users::update_last_login(&txn, user.id, method).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.login", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "method": method, "session_id": session.id })),
    )
    .await?;
    let device = super::devices::remember(state, &txn, user, amr, meta).await?;
    txn.commit().await?;
    state.mailer.wake();
    state.metrics.sign_in(
        crate::metrics::SignInMethod::from_amr(amr),
        crate::metrics::SignInOutcome::Success,
    );
    Ok(Started {
        session: token,
        device,
    })
}

/// The signed-in user behind a session cookie, if the session is live and the account active.
pub async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<Option<(BrowserSession, User)>, AppError> {
    let Some(session) =
        browser_sessions::find_active(&state.db, &hash_token(token), crate::store::now()).await?
    else {
        return Ok(None);
    };
    let user = users::find_active(&state.db, session.user_id).await?;
    Ok(user.map(|u| (session, u)))
}

pub async fn end(
    state: &AppState,
    session: &BrowserSession,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    browser_sessions::revoke(&txn, session.id).await?;
    // Refresh tokens issued without offline_access live only as long as the session.
    revocation::revoke(state, &txn, Some(Families::Session(session.id)), &[]).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.logout", Outcome::Success, meta)
            .user(session.user_id)
            .details(serde_json::json!({ "session_id": session.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Signs `user` out on other devices: the session `target`, or with `None` every live session
/// but `current`. A session of someone else is left alone (the answer is the same). Returns
/// how many sessions ended.
pub async fn end_others(
    state: &AppState,
    user_id: uuid::Uuid,
    current: uuid::Uuid,
    target: Option<uuid::Uuid>,
    meta: &RequestMeta,
) -> Result<usize, AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    let ended: Vec<uuid::Uuid> = browser_sessions::list_active_for_user(&txn, user_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .filter(|id| *id != current && target.is_none_or(|t| t == *id))
        .collect();
    for id in &ended {
        browser_sessions::revoke(&txn, *id).await?;
        revocation::revoke(state, &txn, Some(Families::Session(*id)), &[]).await?;
    }
    if !ended.is_empty() {
        audit::record(
            &txn,
            AuditEvent::new("user.sessions_ended", Outcome::Success, meta)
                .user(user_id)
                .details(serde_json::json!({ "session_ids": ended })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ended.len())
}

/// The `last_login_method` a sign-in with these methods records.
pub fn login_method(amr: &[String]) -> &'static str {
    if amr.iter().any(|m| m == "pwd") {
        "password"
    } else if amr.iter().any(|m| m == "hwk") {
        "passkey"
    } else if amr.iter().any(|m| m == "fed") {
        "federation"
    } else {
        "magic_link"
    }
}
