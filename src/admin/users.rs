//! Users: create (CLI), list with search and paging, read, disable / enable, reset two-step
//! sign-in, revoke every session, resend the verification mail.
//!
//! Reach: a platform-wide actor reaches every user; an org admin reaches the members of its
//! organization for reading, resetting MFA, revoking sessions and resending verification.
//! Disabling an account locks it out of every organization, so it is a platform action.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Actor, Reach, Scope, conflict_or};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, NewPassword, RequestMeta};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::entities::users::AccountStatus;
use crate::store::users::{self, NewUser, User};
use crate::store::{browser_sessions, memberships, organizations};

/// The largest page `list` answers.
pub const MAX_PAGE_SIZE: u64 = 100;
const DEFAULT_PAGE_SIZE: u64 = 50;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the email address (case-insensitive).
    pub search: Option<String>,
    /// Only members of this organization (slug); required for an org admin.
    pub org: Option<String>,
    /// Rows to skip (from `next_offset` of the previous page).
    pub offset: Option<u64>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Membership {
    pub org_id: Uuid,
    pub org: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub email_verified: bool,
    /// `active` or `disabled`.
    pub status: String,
    pub is_platform_owner: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            email_verified: u.email_verified,
            status: u.status.as_str().to_owned(),
            is_platform_owner: u.is_platform_owner,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: UserView,
    pub memberships: Vec<Membership>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// The `offset` of the next page; `null` on the last one.
    pub next_offset: Option<u64>,
}

/// The outcome of an action on a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserActionResult {
    pub user_id: Uuid,
    /// E.g. `disabled`, `enabled`, `mfa_reset`, `sessions_revoked`, `verification_sent`.
    pub result: &'static str,
    /// For `mfa_reset`: whether there was anything to reset; for `sessions_revoked`: how
    /// many browser sessions ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

pub struct NewUserInput {
    pub email: String,
    pub password: Option<String>,
    pub verified: bool,
}

/// The user `id`, once `actor` may use `scope` on them: platform-wide, or as an admin of an
/// organization they belong to (unless `platform_only`). Others get 403 whether or not the
/// user exists.
pub(super) async fn find_for(
    state: &AppState,
    actor: &Actor,
    scope: Scope,
    id: Uuid,
    platform_only: bool,
) -> Result<Reached, AppError> {
    let orgs = memberships::of_user(&state.db, id).await?;
    let reached = |org| async move {
        users::find_by_id(&state.db, id)
            .await?
            .map(|user| Reached { user, org })
            .ok_or(AppError::NotFound("User not found"))
    };
    if actor.may(scope, Reach::Platform) {
        // A member of one organization: that org's admins see what the platform did.
        let only = match orgs.as_slice() {
            [(org, _)] => Some(*org),
            _ => None,
        };
        return reached(only).await;
    }
    if !platform_only
        && let Some((org, _)) = orgs
            .iter()
            .find(|(org, _)| actor.may(scope, Reach::Org(*org)))
    {
        return reached(Some(*org)).await;
    }
    actor.require(scope, Reach::Platform)?;
    Err(AppError::NotFound("User not found"))
}

/// A user an admin may act on, and the organization the action belongs to in the audit log
/// (the one through which an org admin reaches the user).
pub(super) struct Reached {
    pub user: User,
    pub org: Option<Uuid>,
}

impl Reached {
    /// An audit event of an admin action on this user.
    pub fn event<'a>(
        &self,
        action: &'static str,
        actor: &Actor,
        meta: &'a RequestMeta,
    ) -> AuditEvent<'a> {
        AuditEvent::new(action, Outcome::Success, meta).by(
            actor,
            format!("user:{}", self.user.id),
            self.org,
        )
    }
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewUserInput,
) -> Result<UserView, AppError> {
    actor.require(Scope::UsersWrite, Reach::Platform)?;
    let email = Email::parse(&input.email).map_err(AppError::invalid)?;
    let password_hash = match input.password {
        Some(raw) => {
            let password = NewPassword::parse(raw).map_err(AppError::invalid)?;
            Some(state.passwords.hash(password.into_secret()).await?)
        }
        None => None,
    };
    let txn = crate::store::begin(&state.writer).await?;
    let user = users::insert(
        &txn,
        NewUser {
            email: email.as_str(),
            email_normalized: email.normalized(),
            email_verified: input.verified,
            password_hash,
        },
    )
    .await
    .map_err(|e| conflict_or(e, "a user with this email"))?;
    audit::record(
        &txn,
        AuditEvent::new("admin.user.created", Outcome::Success, meta)
            .by(actor, format!("user:{}", user.id), None)
            .details(serde_json::json!({ "verified": input.verified })),
    )
    .await?;
    txn.commit().await?;
    Ok(UserView::from(&user))
}

pub async fn list(state: &AppState, actor: &Actor, query: UserQuery) -> Result<UserPage, AppError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(AppError::invalid(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let org_id = match query.org.as_deref() {
        Some(slug) => Some(
            super::orgs::find_for(state, actor, Scope::UsersRead, slug)
                .await?
                .id,
        ),
        None => {
            actor.require(Scope::UsersRead, Reach::Platform)?;
            None
        }
    };
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    if search.as_ref().is_some_and(|s| s.chars().count() > 254) {
        return Err(AppError::invalid("search is too long"));
    }
    let offset = query.offset.unwrap_or(0);
    let mut rows = users::page(&state.db, search.as_deref(), org_id, offset, limit).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(UserPage {
        users: rows.iter().map(UserView::from).collect(),
        next_offset: more.then_some(offset + limit),
    })
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> Result<UserDetail, AppError> {
    let Reached { user, .. } = find_for(state, actor, Scope::UsersRead, id, false).await?;
    let mut memberships_view = Vec::new();
    for (org_id, roles) in memberships::of_user(&state.db, id).await? {
        // An org admin sees the memberships of its own organization only.
        if !actor.may(Scope::UsersRead, Reach::Org(org_id)) {
            continue;
        }
        if let Some(org) = organizations::find_by_id(&state.db, org_id).await? {
            memberships_view.push(Membership {
                org_id,
                org: org.slug,
                roles,
            });
        }
    }
    Ok(UserDetail {
        user: UserView::from(&user),
        memberships: memberships_view,
    })
}

/// Disables (`enabled: false`) or re-enables an account. Disabling also ends every session
/// and refresh token, so the account is out at once.
pub async fn set_enabled(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    enabled: bool,
) -> Result<UserActionResult, AppError> {
    let reached = find_for(state, actor, Scope::UsersWrite, id, true).await?;
    let user = &reached.user;
    if let Actor::User(me) = actor
        && me.id == user.id
        && !enabled
    {
        return Err(AppError::invalid("you cannot disable your own account"));
    }
    let (status, action, result) = if enabled {
        (AccountStatus::Active, "admin.user.enabled", "enabled")
    } else {
        (AccountStatus::Disabled, "admin.user.disabled", "disabled")
    };
    let txn = crate::store::begin(&state.writer).await?;
    users::set_status(&txn, user.id, status).await?;
    if !enabled {
        end_sessions(state, &txn, user.id).await?;
    }
    audit::record(&txn, reached.event(action, actor, meta)).await?;
    txn.commit().await?;
    Ok(UserActionResult {
        user_id: user.id,
        result,
        count: None,
    })
}

async fn end_sessions<C: sea_orm::ConnectionTrait>(
    state: &AppState,
    db: &C,
    user_id: Uuid,
) -> Result<u64, AppError> {
    let ended = browser_sessions::revoke_all_for_user(db, user_id).await?;
    crate::oidc::revocation::revoke(
        state,
        db,
        Some(crate::store::refresh_tokens::Families::User(user_id)),
        &[],
    )
    .await?;
    Ok(ended)
}

pub async fn reset_mfa(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<UserActionResult, AppError> {
    let Reached { user, .. } = find_for(state, actor, Scope::UsersWrite, id, false).await?;
    let had = crate::auth::totp::reset(state, user.id, actor, meta).await?;
    Ok(UserActionResult {
        user_id: user.id,
        result: "mfa_reset",
        count: Some(u64::from(had)),
    })
}

/// Ends every browser session and refresh token family of the user; their access tokens are
/// deny-listed until they expire.
pub async fn revoke_sessions(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<UserActionResult, AppError> {
    let reached = find_for(state, actor, Scope::UsersWrite, id, false).await?;
    let user = &reached.user;
    let txn = crate::store::begin(&state.writer).await?;
    let ended = end_sessions(state, &txn, user.id).await?;
    audit::record(
        &txn,
        reached
            .event("admin.user.sessions_revoked", actor, meta)
            .details(serde_json::json!({ "browser_sessions": ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(UserActionResult {
        user_id: user.id,
        result: "sessions_revoked",
        count: Some(ended),
    })
}

pub async fn resend_verification(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> Result<UserActionResult, AppError> {
    let reached = find_for(state, actor, Scope::UsersWrite, id, false).await?;
    if reached.user.email_verified {
        return Err(AppError::invalid("this address is already verified"));
    }
    send_mail(state, actor, meta, &reached, UserMail::Verification).await
}

/// A mail an admin sends a user: the same tokens and mail as the hosted pages send.
pub(super) enum UserMail {
    Verification,
    PasswordReset,
}

/// Issues `kind`'s token and queues its mail, within the per-address mail budget, audited.
pub(super) async fn send_mail(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    reached: &Reached,
    kind: UserMail,
) -> Result<UserActionResult, AppError> {
    let user = &reached.user;
    if !state.limits.allow_mail_to(&user.email_normalized).await {
        return Err(AppError::RateLimited {
            retry_after: std::time::Duration::from_secs(3600),
            limit: state.settings.rate_limit.mail_per_address_per_hour,
        });
    }
    let txn = crate::store::begin(&state.writer).await?;
    let (action, result) = match kind {
        UserMail::Verification => {
            crate::auth::email_verification::issue(state, &txn, user, None).await?;
            ("admin.user.verification_sent", "verification_sent")
        }
        UserMail::PasswordReset => {
            crate::auth::password_reset::issue(state, &txn, user).await?;
            ("admin.user.password_reset_sent", "password_reset_sent")
        }
    };
    audit::record(&txn, reached.event(action, actor, meta)).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(UserActionResult {
        user_id: user.id,
        result,
        count: None,
    })
}

pub use super::user_access::{
    Access, ConsentView, LinkedIdentityView, SessionView, access, revoke_session,
    send_password_reset,
};
