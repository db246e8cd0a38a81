//! Which local account an upstream identity signs in (issue 14 item 5):
//! * a known identity signs in its user;
//! * an unknown identity with a verified email and no account creates a verified account
//!   (when sign-up is allowed);
//! * an unknown identity whose verified email matches an account is never linked on its own,
//!   unless the organization turned on `auto_link` for the provider, the local email is
//!   verified too, and exactly one account matches; otherwise the owner signs in to that
//!   account first and then confirms the link;
//! * an unverified upstream email never links or creates a verified account.
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::UpstreamIdentity;
use super::providers::{ProviderConfig, display_name};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::mail::templates::SecurityChange;
use crate::state::AppState;
use crate::store::federated_identities::{self, NewIdentity};
use crate::store::federation_states::{self, FederationState};
use crate::store::users::{self, NewUser, User};

pub const KIND_PENDING_LINK: &str = "pending_link";
const PENDING_LINK_MINUTES: i64 = 10;

pub enum Decision {
    /// Sign this user in.
    SignIn(User),
    /// An account with this email exists: its owner must sign in and confirm. The token
    /// goes into this browser's session only.
    ConfirmLink { token: String, email: String },
}

fn refused(message: impl Into<std::borrow::Cow<'static, str>>) -> AppError {
    AppError::Forbidden {
        code: crate::error::ErrorCode::Forbidden,
        message: message.into(),
    }
}

/// Links `identity` to `user` in the caller's transaction: audited and announced by mail.
pub async fn link<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &User,
    identity: &UpstreamIdentity,
    how: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    federated_identities::insert(
        db,
        NewIdentity {
            user_id: user.id,
            provider: &identity.provider,
            issuer: &identity.issuer,
            subject: &identity.subject,
            email: identity.email.as_deref(),
            email_verified: identity.email_verified,
        },
    )
    .await?;
    audit::record(
        db,
        AuditEvent::new("federation.identity_linked", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "provider": identity.provider, "how": how })),
    )
    .await?;
    let detail = format!(
        "{}{}",
        display_name(&identity.provider),
        identity
            .email
            .as_deref()
            .map(|e| format!(", {e}"))
            .unwrap_or_default()
    );
    crate::auth::notify::security_change(
        state,
        db,
        user,
        SecurityChange::IdentityLinked,
        Some(&detail),
        meta,
    )
    .await
}

/// Applies the rules to a sign-in (not a link from a signed-in account). `sign_up_open` is
/// false on the sign-in of an invite-only organization's service: no account is created there.
pub async fn sign_in(
    state: &AppState,
    provider: &ProviderConfig,
    identity: &UpstreamIdentity,
    sign_up_open: bool,
    meta: &RequestMeta,
) -> Result<Decision, AppError> {
    let name = &provider.name;
    if let Some(known) = federated_identities::find(
        &state.db,
        &identity.provider,
        &identity.issuer,
        &identity.subject,
    )
    .await?
    {
        let user = users::find_active(&state.db, known.user_id)
            .await?
            .ok_or_else(|| refused("This account cannot sign in."))?;
        let txn = crate::store::begin(&state.writer).await?;
        federated_identities::touch(
            &txn,
            known.id,
            identity.email.as_deref(),
            identity.email_verified,
        )
        .await?;
        audit::record(
            &txn,
            AuditEvent::new("federation.identity_used", Outcome::Success, meta)
                .user(user.id)
                .details(serde_json::json!({ "provider": identity.provider })),
        )
        .await?;
        txn.commit().await?;
        return Ok(Decision::SignIn(user));
    }
    // Unknown identity: only a verified email can create or link anything.
    let email = match identity.email.as_deref().filter(|_| identity.email_verified) {
        Some(raw) => Email::parse(raw).map_err(|_| {
            refused(format!(
                "{name} reported an email address Gatehouse cannot use, so no account was created or linked."
            ))
        })?,
        None => {
            return Err(refused(format!(
                "{name} did not confirm a verified email address for this account, so Gatehouse cannot create or link an account. Verify your primary email address at {name}, or sign in another way."
            )));
        }
    };
    let existing = users::find_by_email(&state.db, email.normalized()).await?;
    match existing {
        None => {
            if !state.settings.providers.allow_signup || !sign_up_open {
                return Err(refused(format!(
                    "There is no account for {} here, and new accounts cannot be created with {name}.",
                    email.as_str()
                )));
            }
            let txn = crate::store::begin(&state.writer).await?;
            let user = users::insert(
                &txn,
                NewUser {
                    email: email.as_str(),
                    email_normalized: email.normalized(),
                    email_verified: true,
                    password_hash: None,
                },
            )
            .await?;
            audit::record(
                &txn,
                AuditEvent::new("user.registered", Outcome::Success, meta)
                    .user(user.id)
                    .details(serde_json::json!({ "method": "federation", "provider": identity.provider })),
            )
            .await?;
            link(state, &txn, &user, identity, "sign_up", meta).await?;
            txn.commit().await?;
            state.mailer.wake();
            Ok(Decision::SignIn(user))
        }
        Some(user) if provider.auto_link && user.email_verified && user.is_active() => {
            // The email column is unique, so a match is exactly one account.
            let txn = crate::store::begin(&state.writer).await?;
            link(state, &txn, &user, identity, "auto_link", meta).await?;
            txn.commit().await?;
            state.mailer.wake();
            Ok(Decision::SignIn(user))
        }
        Some(user) => {
            let token = random_token();
            let now = crate::store::now();
            federation_states::insert(
                &state.db,
                FederationState {
                    id: Uuid::new_v4(),
                    state_hash: hash_token(&token),
                    kind: KIND_PENDING_LINK.to_owned(),
                    provider: identity.provider.clone(),
                    org_id: None,
                    user_id: Some(user.id),
                    identity: Some(serde_json::to_string(identity).map_err(anyhow::Error::new)?),
                    created_at: now,
                    expires_at: now + chrono::Duration::minutes(PENDING_LINK_MINUTES),
                    used_at: None,
                },
            )
            .await?;
            Ok(Decision::ConfirmLink {
                token,
                email: email.as_str().to_owned(),
            })
        }
    }
}

/// A pending link waiting in this browser, for the confirmation page.
pub async fn pending(
    state: &AppState,
    token: &str,
) -> Result<Option<(FederationState, UpstreamIdentity)>, AppError> {
    let Some(row) = federation_states::find_live(
        &state.db,
        &hash_token(token),
        KIND_PENDING_LINK,
        crate::store::now(),
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(identity) = row
        .identity
        .as_deref()
        .and_then(|raw| serde_json::from_str::<UpstreamIdentity>(raw).ok())
    else {
        return Ok(None);
    };
    Ok(Some((row, identity)))
}

fn expired_link() -> AppError {
    AppError::invalid("This link request has expired. Please sign in with the provider again.")
}

/// The signed-in owner confirms a pending link (one click).
pub async fn confirm_pending(
    state: &AppState,
    token: &str,
    user: &User,
    meta: &RequestMeta,
) -> Result<UpstreamIdentity, AppError> {
    let (row, identity) = pending(state, token).await?.ok_or_else(expired_link)?;
    if row.user_id != Some(user.id) {
        return Err(refused(
            "Sign in to the account with the email address the provider reported to link it.",
        ));
    }
    add_to_account(state, user, &identity, Some(row.id), "confirmed", meta).await?;
    Ok(identity)
}

/// Links an identity to a signed-in account (the account page's "Link", or a confirmed
/// pending link). Refused when the identity already belongs to an account.
pub async fn add_to_account(
    state: &AppState,
    user: &User,
    identity: &UpstreamIdentity,
    pending_row: Option<Uuid>,
    how: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let name = display_name(&identity.provider).to_owned();
    if let Some(known) = federated_identities::find(
        &state.db,
        &identity.provider,
        &identity.issuer,
        &identity.subject,
    )
    .await?
    {
        return Err(if known.user_id == user.id {
            AppError::invalid(format!("This {name} account is already linked to yours."))
        } else {
            refused(format!(
                "This {name} account is already linked to another account."
            ))
        });
    }
    let txn = crate::store::begin(&state.writer).await?;
    if let Some(id) = pending_row
        && !federation_states::mark_used(&txn, id).await?
    {
        return Err(expired_link());
    }
    link(state, &txn, user, identity, how, meta).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// Unlinks one identity while another way to sign in remains (a password, a passkey or
/// another identity): an account must never be left without a way in.
pub async fn unlink(
    state: &AppState,
    user: &User,
    identity_id: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let identities = federated_identities::list_for_user(&state.db, user.id).await?;
    let Some(identity) = identities.iter().find(|i| i.id == identity_id) else {
        return Err(AppError::NotFound("Linked account not found"));
    };
    let passkeys = crate::store::passkeys::count_for_user(&state.db, user.id).await?;
    if user.password_hash.is_none() && passkeys == 0 && identities.len() <= 1 {
        return Err(AppError::invalid(
            "This is the only way to sign in to your account. Set a password or add a passkey or another provider first.",
        ));
    }
    let txn = crate::store::begin(&state.writer).await?;
    if !federated_identities::delete(&txn, user.id, identity.id).await? {
        return Err(AppError::NotFound("Linked account not found"));
    }
    audit::record(
        &txn,
        AuditEvent::new("federation.identity_unlinked", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "provider": identity.provider })),
    )
    .await?;
    crate::auth::notify::security_change(
        state,
        &txn,
        user,
        SecurityChange::IdentityUnlinked,
        Some(display_name(&identity.provider)),
        meta,
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
