//! Members of an organization and their roles: list, add, change roles, remove.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Actor, Invalidation, Scope, commit_and_invalidate};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::store::{memberships, users};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// The user, by id or by email address (one of the two).
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    /// Role slugs, e.g. `member`, `admin` (an admin of the organization) or `owner`.
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRoles {
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub roles: Vec<String>,
}

/// The role of the people who own an organization: it always keeps at least one.
pub const OWNER_ROLE: &str = "owner";

/// Refuses a change that takes the owner role from `user_id` (removal or new roles without it)
/// when nobody else in the organization holds it. The organization row stays locked until the
/// transaction ends, so two owners cannot demote each other at the same time.
async fn keep_an_owner<C: sea_orm::ConnectionTrait>(
    txn: &C,
    org: &Organization,
    user_id: Uuid,
) -> Result<(), AppError> {
    crate::store::organizations::lock(txn, org.id).await?;
    let members = memberships::of_org(txn, org.id).await?;
    let is_owner = |roles: &[String]| roles.iter().any(|r| r == OWNER_ROLE);
    let owns = members
        .iter()
        .any(|(id, roles)| *id == user_id && is_owner(roles));
    let others = members
        .iter()
        .any(|(id, roles)| *id != user_id && is_owner(roles));
    if owns && !others {
        return Err(AppError::invalid(
            "This is the last owner of the organization: make another member an owner first.",
        ));
    }
    Ok(())
}

/// Role names: 1 to 64 lower-case letters, digits, `-`, `_` or `:`; at least one, at most 32.
pub fn valid_roles(raw: Vec<String>) -> Result<Vec<String>, AppError> {
    let mut roles: Vec<String> = raw.into_iter().map(|r| r.trim().to_owned()).collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() || roles.len() > 32 {
        return Err(AppError::invalid("give 1 to 32 roles"));
    }
    for role in &roles {
        valid_role_name(role)?;
    }
    Ok(roles)
}

/// A role name, as members hold it and organizations define it (`admin::roles`).
pub fn valid_role_name(role: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&role.len())
        && role.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b':')
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "{role:?} is not a valid role name: use lower-case letters, digits, '-', '_' or ':'"
        )))
    }
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    org_slug: &str,
) -> Result<Vec<MemberView>, AppError> {
    let org = super::orgs::find_for(state, actor, Scope::UsersRead, org_slug).await?;
    let mut members = Vec::new();
    for (user_id, roles) in memberships::of_org(&state.db, org.id).await? {
        if let Some(user) = users::find_by_id(&state.db, user_id).await? {
            members.push(MemberView {
                user_id,
                email: user.email,
                roles,
            });
        }
    }
    Ok(members)
}

/// Adds a user to the organization; 409 when they are a member already.
pub async fn add(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    input: NewMember,
) -> Result<MemberView, AppError> {
    let org = super::orgs::find_for(state, actor, Scope::UsersWrite, org_slug).await?;
    let roles = valid_roles(input.roles)?;
    let user = match (input.user_id, input.email.as_deref()) {
        (Some(id), None) => users::find_by_id(&state.db, id).await?,
        (None, Some(email)) => {
            let email = Email::parse(email).map_err(AppError::invalid)?;
            users::find_by_email(&state.db, email.normalized()).await?
        }
        _ => return Err(AppError::invalid("give either user_id or email")),
    }
    .ok_or(AppError::NotFound("User not found"))?;
    if !memberships::roles(&state.db, user.id, org.id)
        .await?
        .is_empty()
    {
        return Err(AppError::Conflict(
            "this user is a member already; change their roles instead".into(),
        ));
    }
    write(state, actor, meta, &org, &user, roles, "admin.member.added").await
}

/// Replaces the roles of a member (the CLI's `add-member` also adds a non-member).
pub async fn set_roles(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    user_id: Uuid,
    input: MemberRoles,
    add_if_absent: bool,
) -> Result<MemberView, AppError> {
    let org = super::orgs::find_for(state, actor, Scope::UsersWrite, org_slug).await?;
    let roles = valid_roles(input.roles)?;
    let user = users::find_by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound("User not found"))?;
    let member = !memberships::roles(&state.db, user.id, org.id)
        .await?
        .is_empty();
    let action = match (member, add_if_absent) {
        (true, _) => "admin.member.roles_changed",
        (false, true) => "admin.member.added",
        (false, false) => return Err(AppError::NotFound("Member not found")),
    };
    write(state, actor, meta, &org, &user, roles, action).await
}

async fn write(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org: &Organization,
    user: &users::User,
    roles: Vec<String>,
    action: &str,
) -> Result<MemberView, AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    if !roles.iter().any(|r| r == OWNER_ROLE) {
        keep_an_owner(&txn, org, user.id).await?;
    }
    memberships::upsert(&txn, org.id, user.id, &roles).await?;
    audit::record(
        &txn,
        AuditEvent::new(action, Outcome::Success, meta)
            .by(actor, format!("user:{}", user.id), Some(org.id))
            .details(serde_json::json!({ "roles": roles })),
    )
    .await?;
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await?;
    Ok(MemberView {
        user_id: user.id,
        email: user.email.clone(),
        roles,
    })
}

pub async fn remove(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    user_id: Uuid,
) -> Result<(), AppError> {
    let org = super::orgs::find_for(state, actor, Scope::UsersWrite, org_slug).await?;
    let txn = crate::store::begin(&state.writer).await?;
    keep_an_owner(&txn, &org, user_id).await?;
    if !memberships::delete(&txn, org.id, user_id).await? {
        return Err(AppError::NotFound("Member not found"));
    }
    audit::record(
        &txn,
        AuditEvent::new("admin.member.removed", Outcome::Success, meta).by(
            actor,
            format!("user:{user_id}"),
            Some(org.id),
        ),
    )
    .await?;
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await
}
