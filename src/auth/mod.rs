//! How a person proves who they are. No actix here: the web layer extracts typed inputs first.
pub mod api_client;
pub mod backup_codes;
pub mod devices;
pub mod email_verification;
pub mod federation;
pub mod first_party;
pub mod login;
pub mod magic_link;
pub mod mfa;
pub mod notify;
pub mod passkeys;
pub mod password;
pub mod password_change;
pub mod password_reset;
pub mod preauth;
pub mod profile;
pub mod registration;
pub mod risk;
pub mod sessions;
pub mod step_up;
pub mod totp;

/// Purposes of rows in `one_time_tokens`.
pub mod purpose {
    pub const VERIFY_EMAIL: &str = "verify_email";
    pub const PASSWORD_RESET: &str = "password_reset";
    pub const MAGIC_LINK: &str = "magic_link";
}

use crate::error::AppError;
use crate::store::one_time_tokens::OneTimeToken;

/// Explains why a one-time token cannot be used, without consuming it.
pub(crate) fn token_problem(token: Option<&OneTimeToken>, kind: &str) -> Option<AppError> {
    let now = crate::store::now();
    match token {
        None => Some(AppError::invalid(format!("Invalid {kind} token"))),
        Some(t) if t.used_at.is_some() => Some(AppError::invalid(format!(
            "{} token has already been used",
            capitalize(kind)
        ))),
        Some(t) if t.expires_at <= now => Some(AppError::invalid(format!(
            "{} token has expired",
            capitalize(kind)
        ))),
        Some(_) => None,
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
