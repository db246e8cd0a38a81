//! Passkeys (WebAuthn, webauthn-rs): registration, email-first and discoverable sign-in,
//! rename and deletion. Ceremony state lives server-side (`webauthn_ceremonies`): five minutes,
//! single use, keyed by a random id; the client only ever holds that id.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
    WebauthnError,
};

use crate::audit::{self, AuditEvent, Outcome};
use crate::config::Settings;
use crate::domain::{Email, RequestMeta};
use crate::error::{AppError, ErrorCode};
use crate::mail::templates::SecurityChange;
use crate::state::AppState;
use crate::store::passkeys::{self, NewPasskey, StoredPasskey};
use crate::store::users::{self, User};
use crate::store::webauthn_ceremonies::{self, Ceremony};

pub const CEREMONY_MINUTES: i64 = 5;
pub const MAX_NAME_CHARS: usize = 64;
const KIND_REGISTER: &str = "register";
const KIND_AUTHENTICATE: &str = "authenticate";
const KIND_DISCOVERABLE: &str = "discoverable";

/// The relying party: id = the issuer's host, origin = the issuer's origin. `None` (passkeys
/// off, with a warning) when the issuer's host is an IP address, which WebAuthn does not allow.
pub fn relying_party(settings: &Settings) -> Option<Webauthn> {
    let origin = Url::parse(settings.public_url()).ok()?;
    let host = match origin.host() {
        Some(url::Host::Domain(host)) => host.to_owned(),
        _ => {
            tracing::warn!(
                issuer = %settings.public_url(),
                "passkeys are unavailable: the issuer URL needs a host name, not an IP address"
            );
            return None;
        }
    };
    match WebauthnBuilder::new(&host, &origin).and_then(|b| b.rp_name("Gatehouse").build()) {
        Ok(webauthn) => Some(webauthn),
        Err(e) => {
            tracing::warn!(error = %e, issuer = %settings.public_url(), "passkeys are unavailable");
            None
        }
    }
}

fn webauthn(state: &AppState) -> Result<&Webauthn, AppError> {
    state.webauthn.as_deref().ok_or_else(|| {
        AppError::invalid(
            "Passkeys are not available on this server: its public URL must use a host name, not an IP address",
        )
    })
}

/// What a registration ceremony remembers besides the webauthn-rs state.
#[derive(Serialize, Deserialize)]
struct RegisterState {
    name: String,
    state: PasskeyRegistration,
}

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

fn encode_id(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn unexpected(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Unexpected(e.into())
}

async fn new_ceremony(
    state: &AppState,
    kind: &str,
    user_id: Option<Uuid>,
    ceremony_state: String,
) -> Result<Uuid, AppError> {
    let expires = crate::store::now() + chrono::Duration::minutes(CEREMONY_MINUTES);
    let row =
        webauthn_ceremonies::insert(&state.db, kind, user_id, ceremony_state, expires).await?;
    Ok(row.id)
}

/// Loads and uses up a ceremony. Refuses unknown, expired and already used ids, another
/// kind of ceremony, and (401) a ceremony that belongs to another user.
async fn take_ceremony(
    state: &AppState,
    raw_id: &str,
    kinds: &[&str],
    user_id: Option<Uuid>,
) -> Result<Ceremony, AppError> {
    let unknown = || AppError::invalid("Invalid or expired challenge");
    let id = Uuid::parse_str(raw_id.trim()).map_err(|_| unknown())?;
    let ceremony = webauthn_ceremonies::find(&state.db, id)
        .await?
        .filter(|c| kinds.contains(&c.kind.as_str()))
        .ok_or_else(unknown)?;
    let now = crate::store::now();
    if ceremony.used_at.is_some() {
        return Err(AppError::invalid(
            "This challenge was already used. Please start again.",
        ));
    }
    if ceremony.expires_at <= now {
        return Err(AppError::invalid(
            "This challenge has expired. Please start again.",
        ));
    }
    if let Some(user_id) = user_id
        && ceremony.user_id != Some(user_id)
    {
        return Err(AppError::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: "This challenge does not belong to you".into(),
        });
    }
    if !webauthn_ceremonies::consume(&state.db, id, now).await? {
        return Err(AppError::invalid(
            "This challenge was already used. Please start again.",
        ));
    }
    Ok(ceremony)
}

fn parse_passkey(row: &StoredPasskey) -> Result<Passkey, AppError> {
    serde_json::from_str(&row.passkey).map_err(unexpected)
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

fn client_error(e: &WebauthnError) -> AppError {
    let message = match e {
        WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => {
            "This passkey response is for another site"
        }
        WebauthnError::ParseNOMFailure
        | WebauthnError::ParseCBORFailure(_)
        | WebauthnError::ParseJSONFailure(_)
        | WebauthnError::InvalidClientDataType
        | WebauthnError::MismatchedChallenge => {
            "The passkey response is malformed or does not match the challenge"
        }
        WebauthnError::UserNotVerified => "The passkey did not verify you (PIN or biometrics)",
        WebauthnError::CredentialPossibleCompromise => {
            "This passkey was refused: its signature counter went backwards, which suggests a cloned authenticator"
        }
        _ => "The passkey could not be verified",
    };
    AppError::invalid(message)
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
    let txn = crate::store::begin(&state.db).await?;
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
    super::notify::security_change(
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
    state.limits.check_request(meta.ip)?;
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
        .filter(|u| u.status == "active");
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
    state.limits.check_login_ip(meta.ip)?;
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
    let user = users::find_by_id(&state.db, row.user_id)
        .await?
        .filter(|u| u.status == "active")
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

/// The methods a passkey sign-in with user verification stands for.
pub fn amr() -> Vec<String> {
    vec!["hwk".to_owned(), "mfa".to_owned()]
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
    let txn = crate::store::begin(&state.db).await?;
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
    let txn = crate::store::begin(&state.db).await?;
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
    super::notify::security_change(
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
