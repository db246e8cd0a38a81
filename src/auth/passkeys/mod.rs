//! Passkeys (WebAuthn, webauthn-rs): registration, email-first and discoverable sign-in,
//! rename and deletion. Ceremony state lives server-side (`webauthn_ceremonies`): five minutes,
//! single use, keyed by a random id; the client only ever holds that id.
//!
//! `ceremony` keeps the server-side state, `register` adds passkeys, `sign_in` signs in with them
//! (decoys included), `manage` lists, renames and deletes them.
mod ceremony;
mod manage;
mod register;
mod sign_in;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{Passkey, Url, Webauthn, WebauthnBuilder, WebauthnError};

use crate::config::Settings;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::passkeys::StoredPasskey;

pub use manage::{delete, list, normalize_name, rename};
pub use register::{finish_registration, start_registration};
pub use sign_in::{UnknownEmail, finish_authentication, start_authentication};

pub const CEREMONY_MINUTES: i64 = 5;
pub const MAX_NAME_CHARS: usize = 64;

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

pub(super) fn webauthn(state: &AppState) -> Result<&Webauthn, AppError> {
    state.webauthn.as_deref().ok_or_else(|| {
        AppError::invalid(
            "Passkeys are not available on this server: its public URL must use a host name, not an IP address",
        )
    })
}

pub(super) fn encode_id(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

pub(super) fn unexpected(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Unexpected(e.into())
}

pub(super) fn parse_passkey(row: &StoredPasskey) -> Result<Passkey, AppError> {
    serde_json::from_str(&row.passkey).map_err(unexpected)
}

/// The methods a passkey sign-in with user verification stands for.
pub fn amr() -> Vec<String> {
    vec!["hwk".to_owned(), "mfa".to_owned()]
}

pub(super) fn client_error(e: &WebauthnError) -> AppError {
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
