//! Admin sign-in (seed 004 `GET /auth/admin/:provider`): platform credentials only, and only a
//! platform owner or an admin of the named organization gets in. The account is found by its
//! linked identity alone: an email address at the provider never opens an admin session,
//! since whoever controls a provider account could otherwise claim any matching address.
use super::UpstreamIdentity;
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::store::users::User;
use crate::store::{federated_identities, memberships, users};

/// The membership role that makes a user an organization's administrator.
pub const ADMIN_ROLE: &str = "admin";

fn refused() -> AppError {
    // One message for every refusal: it does not tell whether the identity is linked at all.
    AppError::Forbidden {
        code: ErrorCode::Forbidden,
        message:
            "This account may not use administrator sign-in. Sign in on the usual page instead."
                .into(),
    }
}

/// The user the identity signs in as administrator, or a refusal (audited either way).
pub async fn sign_in(
    state: &AppState,
    identity: &UpstreamIdentity,
    org: Option<&Organization>,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let known = federated_identities::find(
        &state.db,
        &identity.provider,
        &identity.issuer,
        &identity.subject,
    )
    .await?;
    let user = match known {
        Some(link) => users::find_active(&state.db, link.user_id)
            .await?
            .map(|u| (u, link.id)),
        None => None,
    };
    let allowed = match &user {
        Some((user, _)) if user.is_platform_owner => true,
        Some((user, _)) => match org {
            Some(org) => memberships::roles(&state.db, user.id, org.id)
                .await?
                .iter()
                .any(|r| r == ADMIN_ROLE),
            None => false,
        },
        None => false,
    };
    let details = serde_json::json!({
        "provider": identity.provider,
        "org": org.map(|o| o.slug.clone()),
    });
    match user.filter(|_| allowed) {
        Some((user, link_id)) => {
            let txn = crate::store::begin(&state.writer).await?;
            federated_identities::touch(
                &txn,
                link_id,
                identity.email.as_deref(),
                identity.email_verified,
            )
            .await?;
            audit::record(
                &txn,
                AuditEvent::new("federation.admin_sign_in", Outcome::Success, meta)
                    .user(user.id)
                    .details(details),
            )
            .await?;
            txn.commit().await?;
            Ok(user)
        }
        None => {
            audit::record(
                &state.db,
                AuditEvent::new("federation.admin_sign_in", Outcome::Failure, meta)
                    .details(details),
            )
            .await?;
            Err(refused())
        }
    }
}
