//! Adding a passkey: options for `navigator.credentials.create`, then the authenticator's answer.
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::ceremony::{KIND_REGISTER, new_ceremony, take_ceremony};
use super::{client_error, encode_id, normalize_name, parse_passkey, unexpected, webauthn};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::mail::templates::SecurityChange;
use crate::state::AppState;
use crate::store::passkeys::{self, NewPasskey, StoredPasskey};
use crate::store::users::User;

/// What a registration ceremony remembers besides the webauthn-rs state.
#[derive(Serialize, Deserialize)]
struct RegisterState {
    name: String,
    state: PasskeyRegistration,
}

/// Starts registering a passkey for `user`: options for `navigator.credentials.create`.
/// Discoverable credentials are preferred and the user's existing ones are excluded.
pub async fn start_registration(
    state: &AppState,
    user: &User,
    name: &str,
) -> Result<(Uuid, serde_json::Value), AppError> {
    let webauthn = webauthn(state)?;
    let name = normalize_name(name)?;
    let existing = passkeys::list_for_user(&state.db, user.id).await?;
    let mut exclude = Vec::with_capacity(existing.len());
    for row in &existing {
        exclude.push(parse_passkey(row)?.cred_id().clone());
    }
    let display = user.name.as_deref().unwrap_or(&user.email);
    let (ccr, registration) = webauthn
        .start_passkey_registration(user.id, &user.email, display, Some(exclude))
        .map_err(unexpected)?;
    // webauthn-rs discourages resident keys; a passkey that signs in alone needs one.
    let mut options = serde_json::to_value(&ccr.public_key).map_err(unexpected)?;
    if let Some(selection) = options
        .get_mut("authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "preferred".into());
    }
    let saved = serde_json::to_string(&RegisterState {
        name,
        state: registration,
    })
    .map_err(unexpected)?;
    let id = new_ceremony(state, KIND_REGISTER, Some(user.id), saved).await?;
    Ok((id, options))
}

/// Verifies the authenticator's answer and stores the passkey.
pub async fn finish_registration(
    state: &AppState,
    user: &User,
    challenge_id: &str,
    credential: &RegisterPublicKeyCredential,
    meta: &RequestMeta,
) -> Result<StoredPasskey, AppError> {
    let webauthn = webauthn(state)?;
    let ceremony = take_ceremony(state, challenge_id, &[KIND_REGISTER], Some(user.id)).await?;
    let saved: RegisterState = serde_json::from_str(&ceremony.state).map_err(unexpected)?;
    let passkey = match webauthn.finish_passkey_registration(credential, &saved.state) {
        Ok(passkey) => passkey,
        Err(e) => {
            audit::record(
                &state.db,
                AuditEvent::new("passkey.register", Outcome::Failure, meta)
                    .user(user.id)
                    .details(serde_json::json!({ "reason": e.to_string() })),
            )
            .await?;
            return Err(client_error(&e));
        }
    };
    let credential_id = encode_id(passkey.cred_id());
    if passkeys::find_by_credential_id(&state.db, &credential_id)
        .await?
        .is_some()
    {
        return Err(AppError::invalid("This passkey is already registered"));
    }
    let txn = crate::store::begin(&state.writer).await?;
    let row = passkeys::insert(
        &txn,
        NewPasskey {
            user_id: user.id,
            name: &saved.name,
            credential_id: &credential_id,
            passkey: serde_json::to_string(&passkey).map_err(unexpected)?,
            counter: 0,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new("passkey.register", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "passkey_id": row.id, "name": row.name })),
    )
    .await?;
    let named = format!("named \u{201c}{}\u{201d}", row.name);
    crate::auth::notify::security_change(
        state,
        &txn,
        user,
        SecurityChange::PasskeyAdded,
        Some(&named),
        meta,
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(row)
}
