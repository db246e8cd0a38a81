//! Listing, renaming and deleting a user's passkeys.
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::mail::templates::SecurityChange;
use crate::state::AppState;
use crate::store::passkeys::{self, StoredPasskey};
use crate::store::users::User;

use super::MAX_NAME_CHARS;

pub fn normalize_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("Give the passkey a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::invalid(format!(
            "A passkey name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_owned())
}

pub async fn list(state: &AppState, user_id: Uuid) -> Result<Vec<StoredPasskey>, AppError> {
    Ok(passkeys::list_for_user(&state.db, user_id).await?)
}

pub async fn rename(
    state: &AppState,
    user: &User,
    id: Uuid,
    raw_name: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let name = normalize_name(raw_name)?;
    let txn = crate::store::begin(&state.writer).await?;
    if !passkeys::rename(&txn, user.id, id, &name).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        &txn,
        AuditEvent::new("passkey.rename", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "passkey_id": id, "name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a passkey, unless it is the user's last way to sign in (no password, no other
/// passkey).
pub async fn delete(
    state: &AppState,
    user: &User,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    let Some(removed) = passkeys::find_for_user(&txn, user.id, id).await? else {
        return Err(AppError::not_found());
    };
    let others = passkeys::count_for_user(&txn, user.id)
        .await?
        .saturating_sub(1);
    if others == 0 && user.password_hash.is_none() {
        audit::record(
            &txn,
            AuditEvent::new("passkey.delete", Outcome::Failure, meta)
                .user(user.id)
                .details(serde_json::json!({ "passkey_id": id, "reason": "last_sign_in_method" })),
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::invalid(
            "You cannot delete your last way to sign in. Set a password or add another passkey first.",
        ));
    }
    passkeys::delete(&txn, user.id, id).await?;
    audit::record(
        &txn,
        AuditEvent::new("passkey.delete", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "passkey_id": id })),
    )
    .await?;
    let named = format!("named \u{201c}{}\u{201d}", removed.name);
    crate::auth::notify::security_change(
        state,
        &txn,
        user,
        SecurityChange::PasskeyRemoved,
        Some(&named),
        meta,
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}
