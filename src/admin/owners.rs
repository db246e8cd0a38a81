//! Platform owners: who may use admin sign-in as a platform owner (and so everything).
use serde::Serialize;
use uuid::Uuid;

use super::{Actor, Reach, Scope};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::users;

#[derive(Debug, Serialize)]
pub struct Ownership {
    pub user_id: Uuid,
    pub email: String,
    pub is_platform_owner: bool,
}

/// Grants (`owner`) or revokes platform ownership of the account with `email`. An owner holds
/// every right, so only an actor that already holds every platform right may do this: a
/// narrower token cannot raise anyone above itself.
pub async fn set_platform_owner(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    email: &str,
    owner: bool,
) -> Result<Ownership, AppError> {
    for scope in Scope::ALL {
        actor.require(scope, Reach::Platform)?;
    }
    let email = Email::parse(email).map_err(AppError::invalid)?;
    let user = users::find_by_email(&state.db, email.normalized())
        .await?
        .ok_or(AppError::NotFound("User not found"))?;
    let txn = crate::store::begin(&state.writer).await?;
    users::set_platform_owner(&txn, user.id, owner).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            if owner {
                "user.platform_owner_granted"
            } else {
                "user.platform_owner_revoked"
            },
            Outcome::Success,
            meta,
        )
        .by(actor, format!("user:{}", user.id), None),
    )
    .await?;
    txn.commit().await?;
    Ok(Ownership {
        user_id: user.id,
        email: user.email,
        is_platform_owner: owner,
    })
}
