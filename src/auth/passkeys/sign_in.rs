//! Signing in with a passkey: email-first (with decoys on the hosted page) or discoverable.
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential, Webauthn, WebauthnError,
};

use super::ceremony::{KIND_AUTHENTICATE, KIND_DISCOVERABLE, new_ceremony, take_ceremony};
use super::{client_error, encode_id, parse_passkey, unexpected, webauthn};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::{Email, RequestMeta};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::passkeys;
use crate::store::users::{self, User};

/// What an email-first sign-in answers for an address without an account or without passkeys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UnknownEmail {
    /// Seed 004's JSON API: 404 "User not found", 400 "No passkeys registered for this user".
    Refuse,
    /// The hosted login page: an ordinary-looking ceremony naming one decoy credential derived
    /// from the address, so the answer does not tell whether the account exists.
    Disguise,
}

/// Starts a sign-in. With an email: the user's passkeys are offered (authenticators without
/// resident keys). Without: a discoverable ceremony, the authenticator picks the account.
/// Every start stores a ceremony, so starts count against the client IP's request limit.
pub async fn start_authentication(
    state: &AppState,
    email: Option<&str>,
    unknown: UnknownEmail,
    meta: &RequestMeta,
) -> Result<(Uuid, serde_json::Value), AppError> {
    let webauthn = webauthn(state)?;
    state.limits.check_request(meta.ip).await?;
    let Some(raw) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        let (rcr, discoverable) = webauthn
            .start_discoverable_authentication()
            .map_err(unexpected)?;
        let saved = serde_json::to_string(&discoverable).map_err(unexpected)?;
        let id = new_ceremony(state, KIND_DISCOVERABLE, None, saved).await?;
        return Ok((
            id,
            serde_json::to_value(&rcr.public_key).map_err(unexpected)?,
        ));
    };
    let email = Email::parse(raw).map_err(|_| AppError::invalid("Invalid email format"))?;
    let user = users::find_by_email(&state.db, email.normalized())
        .await?
        .filter(User::is_active);
    let rows = match &user {
        Some(user) => passkeys::list_for_user(&state.db, user.id).await?,
        None => Vec::new(),
    };
    let has_account = user.is_some();
    let (Some(user), false) = (user, rows.is_empty()) else {
        return match unknown {
            UnknownEmail::Refuse if has_account => {
                Err(AppError::invalid("No passkeys registered for this user"))
            }
            UnknownEmail::Refuse => Err(AppError::NotFound("User not found")),
            UnknownEmail::Disguise => decoy_ceremony(state, webauthn, email.normalized()).await,
        };
    };
    let mut keys = Vec::with_capacity(rows.len());
    for row in &rows {
        keys.push(parse_passkey(row)?);
    }
    let (rcr, authentication) = webauthn
        .start_passkey_authentication(&keys)
        .map_err(unexpected)?;
    let saved = serde_json::to_string(&authentication).map_err(unexpected)?;
    let id = new_ceremony(state, KIND_AUTHENTICATE, Some(user.id), saved).await?;
    let options = serde_json::to_value(&rcr.public_key).map_err(unexpected)?;
    Ok(match unknown {
        UnknownEmail::Disguise => (id, without_transport_hints(options)),
        UnknownEmail::Refuse => (id, options),
    })
}

/// An email-first ceremony for an address with no passkey: the options of a real one, naming
/// credential ids derived from the address (stable, so repeated asks look alike) in the number
/// and lengths real accounts here have. No authenticator holds them and the ceremony belongs to
/// no user, so it cannot finish.
async fn decoy_ceremony(
    state: &AppState,
    webauthn: &Webauthn,
    normalized_email: &str,
) -> Result<(Uuid, serde_json::Value), AppError> {
    let (rcr, discoverable) = webauthn
        .start_discoverable_authentication()
        .map_err(unexpected)?;
    let mut options = serde_json::to_value(&rcr.public_key).map_err(unexpected)?;
    let lengths = passkeys::credential_id_lengths(&state.db).await?;
    let ids = decoy_credential_ids(
        &state.master.derive("passkey decoy"),
        normalized_email,
        &lengths,
    );
    options["allowCredentials"] = ids
        .into_iter()
        .map(|id| serde_json::json!({ "type": "public-key", "id": id }))
        .collect();
    options["userVerification"] = "required".into();
    // Discoverable options carry extensions an email-first ceremony does not.
    if let Some(fields) = options.as_object_mut() {
        fields.remove("extensions");
    }
    let saved = serde_json::to_string(&discoverable).map_err(unexpected)?;
    let id = new_ceremony(state, KIND_AUTHENTICATE, None, saved).await?;
    Ok((id, options))
}

/// Derives the decoy's credential ids from the address: how many (most accounts have one
/// passkey, some two or three) and, for each, a length among those of the stored credential ids
/// (base64url characters; 43, i.e. 32 bytes, when none is stored yet).
fn decoy_credential_ids(key: &[u8; 32], normalized_email: &str, lengths: &[i64]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let digest = |label: &[u8]| {
        let mut hasher = Sha256::new();
        hasher.update(key);
        hasher.update(normalized_email.as_bytes());
        hasher.update(label);
        hasher.finalize()
    };
    let shape = digest(b"shape");
    let count = match shape[0] % 20 {
        0 => 3,
        1..=4 => 2,
        _ => 1,
    };
    (0..count)
        .map(|i| {
            let chars = match lengths {
                [] => 43,
                _ => lengths[usize::from(shape[1 + i]) % lengths.len()].clamp(22, 1364),
            };
            // base64url without padding: n bytes take ceil(4n/3) characters.
            let bytes = usize::try_from(chars * 3 / 4).unwrap_or(32);
            let mut id = Vec::with_capacity(bytes);
            let mut block = 0u8;
            while id.len() < bytes {
                id.extend_from_slice(&digest(&[b'i', i as u8, block]));
                block = block.wrapping_add(1);
            }
            id.truncate(bytes);
            encode_id(&id)
        })
        .collect()
}

/// The hosted page's email-first options for a real account, trimmed to what a decoy can show:
/// transport hints would tell a decoy (which has none to give) from a real account.
fn without_transport_hints(mut options: serde_json::Value) -> serde_json::Value {
    if let Some(credentials) = options["allowCredentials"].as_array_mut() {
        for credential in credentials {
            if let Some(fields) = credential.as_object_mut() {
                fields.remove("transports");
            }
        }
    }
    options
}

/// Verifies a sign-in; on success the passkey's counter and last use are recorded. A counter
/// that goes backwards is refused and audited as a possible clone.
pub async fn finish_authentication(
    state: &AppState,
    challenge_id: &str,
    credential: &PublicKeyCredential,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let webauthn = webauthn(state)?;
    state.limits.check_login_ip(meta.ip).await?;
    let ceremony = take_ceremony(
        state,
        challenge_id,
        &[KIND_AUTHENTICATE, KIND_DISCOVERABLE],
        None,
    )
    .await?;
    let refused = || AppError::Unauthorized {
        code: ErrorCode::Unauthorized,
        message: "This passkey is not registered here".into(),
    };
    let credential_id = encode_id(credential.get_credential_id());
    let row = passkeys::find_by_credential_id(&state.db, &credential_id)
        .await?
        .ok_or_else(refused)?;
    let result = if ceremony.kind == KIND_DISCOVERABLE {
        let (user_handle, _) = webauthn
            .identify_discoverable_authentication(credential)
            .map_err(|e| client_error(&e))?;
        if user_handle != row.user_id {
            return Err(refused());
        }
        let passkey = parse_passkey(&row)?;
        let saved: DiscoverableAuthentication =
            serde_json::from_str(&ceremony.state).map_err(unexpected)?;
        webauthn.finish_discoverable_authentication_v2(credential, saved, &passkey)
    } else {
        if ceremony.user_id != Some(row.user_id) {
            return Err(refused());
        }
        let saved: PasskeyAuthentication =
            serde_json::from_str(&ceremony.state).map_err(unexpected)?;
        webauthn.finish_passkey_authentication(credential, &saved)
    };
    let result = match result {
        Ok(result) => result,
        Err(e) => {
            let action = if matches!(e, WebauthnError::CredentialPossibleCompromise) {
                "passkey.clone_detected"
            } else {
                "passkey.login"
            };
            audit::record(
                &state.db,
                AuditEvent::new(action, Outcome::Failure, meta)
                    .user(row.user_id)
                    .details(serde_json::json!({ "passkey_id": row.id, "reason": e.to_string() })),
            )
            .await?;
            state.metrics.sign_in(
                crate::metrics::SignInMethod::Passkey,
                crate::metrics::SignInOutcome::Failure,
            );
            return Err(client_error(&e));
        }
    };
    let mut passkey = parse_passkey(&row)?;
    if !result.user_verified() {
        return Err(client_error(&WebauthnError::UserNotVerified));
    }
    passkey.update_credential(&result);
    let counter = i64::from(result.counter());
    let saved = serde_json::to_string(&passkey).map_err(unexpected)?;
    if !passkeys::record_use(&state.db, row.id, saved, counter, crate::store::now()).await? {
        audit::record(
            &state.db,
            AuditEvent::new("passkey.clone_detected", Outcome::Failure, meta)
                .user(row.user_id)
                .details(serde_json::json!({
                    "passkey_id": row.id,
                    "stored_counter": row.counter,
                    "presented_counter": counter,
                })),
        )
        .await?;
        return Err(client_error(&WebauthnError::CredentialPossibleCompromise));
    }
    let user = users::find_active(&state.db, row.user_id)
        .await?
        .ok_or_else(|| AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "This account is disabled".into(),
        })?;
    audit::record(
        &state.db,
        AuditEvent::new("passkey.login", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "passkey_id": row.id })),
    )
    .await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::decoy_credential_ids;

    #[test]
    fn decoys_are_stable_and_shaped_like_the_stored_credentials() {
        let key = [7u8; 32];
        let lengths = [22, 86];
        let first = decoy_credential_ids(&key, "a@example.com", &lengths);
        assert_eq!(first, decoy_credential_ids(&key, "a@example.com", &lengths));
        assert_ne!(first, decoy_credential_ids(&key, "b@example.com", &lengths));
        let mut sizes = [0usize; 4];
        for i in 0..400 {
            let ids = decoy_credential_ids(&key, &format!("user{i}@example.com"), &lengths);
            sizes[ids.len()] += 1;
            assert!(ids.iter().all(|id| lengths.contains(&(id.len() as i64))));
        }
        // Mostly one passkey, sometimes two or three, as accounts have.
        assert_eq!(sizes[0], 0);
        assert!(sizes[1] > 250 && sizes[2] > 40 && sizes[3] > 5, "{sizes:?}");
        assert!(
            decoy_credential_ids(&key, "a@example.com", &[])
                .iter()
                .all(|id| id.len() == 43)
        );
    }
}
