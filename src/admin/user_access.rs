//! What an admin sees of a user's access (sign-in methods, sessions, consents) and the
//! actions on it that `users.rs` does not hold: end one session, mail a password-reset link.
//! Reach as in `users.rs`: platform-wide, or an admin of an organization the user belongs to.
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::users::{Reached, UserActionResult, UserMail, find_for, send_mail};
use super::{Actor, Scope};
use crate::audit;
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::refresh_tokens::Families;
use crate::store::{
    browser_sessions, consents, federated_identities, passkeys, services, totp_credentials,
};

/// A live browser session (never its token).
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub id: Uuid,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub methods: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ConsentView {
    pub service: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub granted_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct LinkedIdentityView {
    pub provider: String,
    pub email: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// How a user signs in and where they are signed in.
#[derive(Debug, Serialize)]
pub struct Access {
    pub has_password: bool,
    pub totp_enabled: bool,
    pub passkeys: Vec<String>,
    pub linked: Vec<LinkedIdentityView>,
    pub sessions: Vec<SessionView>,
    pub consents: Vec<ConsentView>,
}

pub async fn access(state: &AppState, actor: &Actor, id: Uuid) -> Result<Access, AppError> {
    let Reached { user, .. } = find_for(state, actor, Scope::UsersRead, id, false).await?;
    let sessions = browser_sessions::list_active_for_user(&state.db, user.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            signed_in_at: s.auth_time,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            methods: s.amr_list(),
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect();
    let mut consent_views = Vec::new();
    for consent in consents::list_for_user(&state.db, user.id).await? {
        let service = services::find_by_id(&state.db, consent.service_id).await?;
        consent_views.push(ConsentView {
            service: service
                .as_ref()
                .map_or("(deleted)".into(), |s| s.name.clone()),
            client_id: service.map(|s| s.client_id).unwrap_or_default(),
            scopes: consent.scopes_list(),
            granted_at: consent.updated_at,
        });
    }
    Ok(Access {
        has_password: user.password_hash.is_some(),
        totp_enabled: totp_credentials::is_enabled(&state.db, user.id).await?,
        passkeys: passkeys::list_for_user(&state.db, user.id)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect(),
        linked: federated_identities::list_for_user(&state.db, user.id)
            .await?
            .into_iter()
            .map(|f| LinkedIdentityView {
                provider: f.provider,
                email: f.email,
                last_used_at: f.last_used_at,
            })
            .collect(),
        sessions,
        consents: consent_views,
    })
}

/// Ends one browser session of the user and the refresh tokens bound to it. A session id
/// that is not this user's live session is 404.
pub async fn revoke_session(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    session_id: Uuid,
) -> Result<UserActionResult, AppError> {
    let reached = find_for(state, actor, Scope::UsersWrite, id, false).await?;
    let user = &reached.user;
    let txn = crate::store::begin(&state.writer).await?;
    let live = browser_sessions::list_active_for_user(&txn, user.id)
        .await?
        .into_iter()
        .any(|s| s.id == session_id);
    if !live {
        return Err(AppError::NotFound("Session not found"));
    }
    browser_sessions::revoke(&txn, session_id).await?;
    crate::oidc::revocation::revoke(state, &txn, Some(Families::Session(session_id)), &[]).await?;
    audit::record(
        &txn,
        reached
            .event("admin.user.session_revoked", actor, meta)
            .details(serde_json::json!({ "session_id": session_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(UserActionResult {
        user_id: user.id,
        result: "session_revoked",
        count: Some(1),
    })
}

/// Mails the user the hosted password-reset link (the same token and mail as "Forgot
/// password"). A disabled account gets none: it could not sign in anyway.
pub async fn send_password_reset(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<UserActionResult, AppError> {
    let reached = find_for(state, actor, Scope::UsersWrite, id, false).await?;
    if !reached.user.is_active() {
        return Err(AppError::invalid(
            "this account is disabled; enable it before sending a reset link",
        ));
    }
    send_mail(state, actor, meta, &reached, UserMail::PasswordReset).await
}
