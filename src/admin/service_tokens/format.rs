//! The wire format of a service token, checked offline:
//!
//! ```text
//! gh_st_<id>_<secret><checksum>
//! ```
//!
//! * `gh_st_`: a fixed prefix, so secret scanners can find leaked tokens (as GitHub's `ghp_`);
//! * `<id>`: the public id, `[A-Za-z0-9-]{1,64}`; the row is looked up by it;
//! * `<secret>`: 32 random base62 characters (about 190 bits);
//! * `<checksum>`: the CRC32 of everything before it, as 6 base62 digits, so a scanner (and
//!   Gatehouse) rejects a random or mistyped string without asking the database.
//!
//! Regex for scanners: `\bgh_st_[A-Za-z0-9-]{1,64}_[A-Za-z0-9]{38}\b` (then check the CRC).
//! Only the SHA-256 of the whole token is stored.

pub const PREFIX: &str = "gh_st_";
pub const SECRET_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
pub const MAX_ID_LEN: usize = 64;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Is `id` a valid public id? ASCII letters, digits and `-`, 1 to 64 characters, and not
/// shaped like a UUID: the id is the `sub` of exchanged tokens, where a UUID means a user.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && uuid::Uuid::parse_str(id).is_err()
}

/// `n` random base62 characters, uniformly (bytes ≥ 248 are drawn again).
pub fn random_base62(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        rand::Rng::fill_bytes(&mut rand::rng(), &mut buf);
        for b in buf {
            if out.len() == n {
                break;
            }
            if b < 248 {
                out.push(char::from(BASE62[usize::from(b % 62)]));
            }
        }
    }
    out
}

fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// A new token for `id`, with a fresh secret.
pub fn issue(id: &str) -> String {
    let body = format!("{PREFIX}{id}_{}", random_base62(SECRET_LEN));
    let sum = checksum(&body);
    body + &sum
}

/// The public id of a well-formed token whose checksum matches; `None` for anything else.
pub fn parse(raw: &str) -> Option<&str> {
    let rest = raw.strip_prefix(PREFIX)?;
    let (id, tail) = rest.rsplit_once('_')?;
    if tail.len() != SECRET_LEN + CHECKSUM_LEN
        || !tail.bytes().all(|b| b.is_ascii_alphanumeric())
        || !valid_id(id)
    {
        return None;
    }
    let (body, sum) = raw.split_at(raw.len() - CHECKSUM_LEN);
    crate::keys::constant_time_eq(&checksum(body), sum).then_some(id)
}

/// Does `raw` carry the service-token prefix? (Then it is answered as one, valid or not.)
pub fn looks_like(raw: &str) -> bool {
    raw.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_parse_back_to_their_id() {
        let token = issue("ci-deploy");
        assert!(token.starts_with("gh_st_ci-deploy_"));
        assert_eq!(
            token.len(),
            PREFIX.len() + "ci-deploy".len() + 1 + SECRET_LEN + CHECKSUM_LEN
        );
        assert_eq!(parse(&token), Some("ci-deploy"));
        assert_ne!(issue("ci-deploy"), token);
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let token = issue("t1");
        let mut bytes = token.clone().into_bytes();
        let i = token.len() - CHECKSUM_LEN - 3;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let changed = String::from_utf8(bytes).unwrap_or_default();
        assert_eq!(parse(&changed), None);
        // The id is covered too.
        assert_eq!(parse(&token.replacen("t1", "t2", 1)), None);
    }

    #[test]
    fn malformed_strings_are_refused() {
        for raw in [
            "",
            "gh_st_",
            "gh_st_x_short",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            &format!("gh_st_bad*id_{}", "a".repeat(38)),
            &format!("gh_st_ok_{}", "a".repeat(38)),
        ] {
            assert_eq!(parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("production-token"));
        assert!(valid_id("A1"));
        assert!(!valid_id(""));
        assert!(!valid_id("has_underscore"));
        assert!(!valid_id(&"a".repeat(65)));
        assert!(!valid_id("550e8400-e29b-41d4-a716-446655440000"));
        assert!(!valid_id("550e8400e29b41d4a716446655440000"));
    }
}
