//! The deny-listed access tokens held in memory, so a bearer or introspection check of an
//! unrevoked JWT needs no database round trip for its `jti`. Loaded from `revoked_tokens` at
//! start; every revocation adds to it in the revoking process at once and reaches the other
//! instances through the invalidation channel (`revoked:<exp>:<jti>`, sent in the revoking
//! transaction); after a lost channel the listener reloads it from the database.
use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::store::revoked_tokens;

#[derive(Default)]
pub struct RevokedSet {
    /// jti → expiry (unix seconds): an entry is useless once its token has expired.
    entries: RwLock<HashMap<String, i64>>,
}

impl RevokedSet {
    /// The deny-list as the database holds it now.
    pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Self, DbErr> {
        let set = Self::default();
        set.reload(db).await?;
        Ok(set)
    }

    /// Replaces the contents with the database's unexpired entries.
    pub async fn reload<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        let rows = revoked_tokens::unexpired(db).await?;
        let fresh: HashMap<_, _> = rows
            .into_iter()
            .map(|(jti, exp)| (jti, exp.timestamp()))
            .collect();
        if let Ok(mut entries) = self.entries.write() {
            *entries = fresh;
        }
        Ok(())
    }

    pub fn insert(&self, jti: &str, expires_at: DateTime<Utc>) {
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(jti.to_owned(), expires_at.timestamp());
        }
    }

    /// Whether `jti` is deny-listed. A poisoned lock answers `true`: refuse rather than
    /// accept a token we cannot check.
    pub fn contains(&self, jti: &str) -> bool {
        self.entries
            .read()
            .map_or(true, |entries| entries.contains_key(jti))
    }

    /// Forgets entries whose tokens have expired anyway (the housekeeping job).
    pub fn prune(&self, now: DateTime<Utc>) {
        let now = now.timestamp();
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, exp| *exp >= now);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |entries| entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The channel payload announcing a revoked access token.
pub fn payload(jti: &str, expires_at: DateTime<Utc>) -> String {
    format!("revoked:{}:{jti}", expires_at.timestamp())
}

/// The (jti, expiry) a [`payload`] carries; `None` for anything else.
pub fn parse_payload(payload: &str) -> Option<(String, DateTime<Utc>)> {
    let rest = payload.strip_prefix("revoked:")?;
    let (exp, jti) = rest.split_once(':')?;
    let exp = DateTime::from_timestamp(exp.parse().ok()?, 0)?;
    (!jti.is_empty()).then(|| (jti.to_owned(), exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_entries_expire() {
        let exp = DateTime::from_timestamp(2_000_000_000, 0).unwrap();
        assert_eq!(
            parse_payload(&payload("abc-def", exp)),
            Some(("abc-def".to_owned(), exp))
        );
        assert_eq!(parse_payload("revoked:x:abc"), None);
        assert_eq!(parse_payload("service:abc"), None);

        let set = RevokedSet::default();
        set.insert("old", DateTime::from_timestamp(1_000, 0).unwrap());
        set.insert("new", exp);
        assert!(set.contains("old") && set.contains("new") && !set.contains("other"));
        set.prune(DateTime::from_timestamp(1_500, 0).unwrap());
        assert!(!set.contains("old") && set.contains("new"));
    }
}
