use secrecy::SecretString;

/// A password chosen by a user: NIST 800-63B length rules, no composition rules.
pub struct NewPassword(SecretString);

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 256;

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, &'static str> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err("Password must be at least 8 characters");
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err("Password must be at most 256 bytes");
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
}
