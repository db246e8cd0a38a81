//! Inviting someone to an organization by email: an existing account becomes a member at once;
//! an unknown address gets an unverified account without a password, the membership, and a
//! mail whose link (a password-reset token) sets the first password and verifies the address.
use uuid::Uuid;

use super::members::{MemberView, valid_roles};
use super::{Actor, Invalidation, Scope, commit_and_invalidate};
use crate::audit::{self, AuditEvent, Outcome};
use crate::auth::purpose;
use crate::branding::Brand;
use crate::domain::{Email, RequestMeta};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::mail::templates;
use crate::state::AppState;
use crate::store::{memberships, one_time_tokens, users};

/// An invitation link is valid this long: people do not read invitations within the hour a
/// password-reset link allows.
pub const INVITATION_TTL_MINUTES: i64 = 72 * 60;

pub struct Invitation {
    pub email: String,
    pub roles: Vec<String>,
}

/// What an invitation did.
#[derive(Debug)]
pub enum Invited {
    /// The address had an account: it is a member now (no mail).
    Added(MemberView),
    /// A new account was made and the invitation mailed.
    Mailed(MemberView),
}

/// Invites `input.email` into the organization `org_slug` with `input.roles`. Bad input is
/// `Invalid` (email or roles), a present member is `Conflict`.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    input: Invitation,
) -> Result<Invited, AppError> {
    let org = super::orgs::find_for(state, actor, Scope::UsersWrite, org_slug).await?;
    let email = Email::parse(&input.email).map_err(AppError::invalid)?;
    let roles = valid_roles(input.roles)?;
    if let Some(user) = users::find_by_email(&state.db, email.normalized()).await? {
        let added = super::members::add(
            state,
            actor,
            meta,
            org_slug,
            super::members::NewMember {
                user_id: Some(user.id),
                email: None,
                roles,
            },
        )
        .await?;
        return Ok(Invited::Added(added));
    }
    if !state.limits.allow_mail_to(email.normalized()).await {
        return Err(AppError::RateLimited {
            retry_after: std::time::Duration::from_secs(3600),
            limit: state.settings.rate_limit.mail_per_address_per_hour,
        });
    }
    let token = random_token();
    let link = state.url(&format!("/reset-password?token={token}"));
    let brand = Brand::of_org(state, org.id, &org.name).await;
    let mail = templates::invitation(&link, INVITATION_TTL_MINUTES, &brand.name, Some(&brand))
        .map_err(anyhow::Error::new)?;
    let txn = crate::store::begin(&state.writer).await?;
    let user = users::insert(
        &txn,
        users::NewUser {
            email: email.as_str(),
            email_normalized: email.normalized(),
            email_verified: false,
            password_hash: None,
        },
    )
    .await
    .map_err(|e| super::conflict_or(e, "a user with this email"))?;
    memberships::upsert(&txn, org.id, user.id, &roles).await?;
    one_time_tokens::insert(
        &txn,
        purpose::PASSWORD_RESET,
        hash_token(&token),
        Some(user.id),
        Some(user.email.clone()),
        crate::store::now() + chrono::Duration::minutes(INVITATION_TTL_MINUTES),
        None,
    )
    .await?;
    state.mailer.enqueue(&txn, &user.email, mail).await?;
    record(&txn, actor, meta, org.id, user.id, &roles).await?;
    commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await?;
    state.mailer.wake();
    Ok(Invited::Mailed(MemberView {
        user_id: user.id,
        email: user.email,
        roles,
    }))
}

async fn record<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    meta: &RequestMeta,
    org_id: Uuid,
    user_id: Uuid,
    roles: &[String],
) -> Result<(), AppError> {
    audit::record(
        txn,
        AuditEvent::new("admin.user.created", Outcome::Success, meta)
            .by(actor, format!("user:{user_id}"), Some(org_id))
            .details(serde_json::json!({ "verified": false, "invited": true })),
    )
    .await?;
    audit::record(
        txn,
        AuditEvent::new("admin.member.invited", Outcome::Success, meta)
            .by(actor, format!("user:{user_id}"), Some(org_id))
            .details(serde_json::json!({ "roles": roles })),
    )
    .await?;
    Ok(())
}
