//! Claims of JWTs this instance already verified, so a token introspected or presented again
//! (a resource server asks on every call) costs a hash and a lookup, not a signature check.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Bounded: when full, expired entries go, and if none had, everything (a miss costs one
/// signature verification).
const CAPACITY: usize = 8192;

struct Verified {
    kid: String,
    exp: i64,
    claims: Arc<serde_json::Value>,
}

/// Keyed by the SHA-256 of the whole token: only the same token, byte for byte, hits.
#[derive(Default)]
pub(super) struct VerifiedTokens {
    entries: Mutex<HashMap<[u8; 32], Verified>>,
}

pub(super) type TokenDigest = [u8; 32];

pub(super) fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// The claims of a token verified before, while it has not expired (`now` in seconds) and
    /// `kid_published` still says its key is published (a key retired at once ends its tokens).
    pub(super) fn get(
        &self,
        digest: &TokenDigest,
        now: i64,
        kid_published: impl FnOnce(&str) -> bool,
    ) -> Option<Arc<serde_json::Value>> {
        let entries = self.entries.lock().ok()?;
        let hit = entries.get(digest)?;
        (hit.exp > now && kid_published(&hit.kid)).then(|| hit.claims.clone())
    }

    pub(super) fn insert(
        &self,
        digest: TokenDigest,
        kid: String,
        exp: i64,
        now: i64,
        claims: Arc<serde_json::Value>,
    ) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, v| v.exp > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(digest, Verified { kid, exp, claims });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_needs_the_same_token_an_unexpired_token_and_a_published_key() {
        let cache = VerifiedTokens::default();
        let claims = Arc::new(serde_json::json!({ "sub": "u" }));
        cache.insert(digest("a.b.c"), "k1".into(), 100, 50, claims);
        assert!(cache.get(&digest("a.b.c"), 99, |kid| kid == "k1").is_some());
        assert!(
            cache.get(&digest("a.b.d"), 99, |_| true).is_none(),
            "another token"
        );
        assert!(
            cache.get(&digest("a.b.c"), 100, |_| true).is_none(),
            "expired"
        );
        assert!(
            cache.get(&digest("a.b.c"), 99, |_| false).is_none(),
            "key retired"
        );
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedTokens::default();
        for i in 0..(CAPACITY + 10) {
            let claims = Arc::new(serde_json::Value::Null);
            cache.insert(digest(&i.to_string()), "k".into(), 100, 0, claims);
        }
        assert!(cache.entries.lock().unwrap().len() <= CAPACITY);
    }
}
