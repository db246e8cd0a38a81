//! Counters shared by every instance (`rate_limit.backend = "postgres" | "redis"`): fixed
//! windows, one round trip per decision.
use std::time::Duration;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::config::RateLimitSettings;

pub enum SharedCounters {
    Postgres(DatabaseConnection),
    Redis {
        conn: redis::aio::ConnectionManager,
        script: redis::Script,
    },
}

/// The shared count of a key after this hit.
pub struct Hit {
    pub count: u64,
    pub resets_in: Duration,
}

/// INCR and, on the first hit of a window, PEXPIRE; one EVALSHA.
const REDIS_HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

impl SharedCounters {
    /// The configured shared store; `None` for `memory`.
    pub async fn connect(
        settings: &RateLimitSettings,
        db: &DatabaseConnection,
    ) -> anyhow::Result<Option<Self>> {
        Ok(match settings.backend.as_str() {
            "postgres" => Some(Self::Postgres(db.clone())),
            "redis" => {
                let url = settings
                    .redis_url
                    .as_ref()
                    .context("rate_limit.redis_url is not set")?;
                let client = redis::Client::open(url.expose_secret())
                    .context("rate_limit.redis_url is not a valid Redis URL")?;
                let conn = client
                    .get_connection_manager()
                    .await
                    .context("cannot connect to the rate-limit Redis")?;
                Some(Self::Redis {
                    conn,
                    script: redis::Script::new(REDIS_HIT),
                })
            }
            _ => None,
        })
    }

    /// Counts one hit on `key` in the current window of length `window`.
    pub async fn hit(&self, key: &str, window: Duration) -> anyhow::Result<Hit> {
        match self {
            Self::Postgres(db) => {
                let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1);
                let (count, resets_in) =
                    crate::store::rate_limit_counters::hit(db, key, secs).await?;
                Ok(Hit {
                    count: u64::try_from(count).unwrap_or(0),
                    resets_in: Duration::from_secs_f64(resets_in.max(0.0)),
                })
            }
            Self::Redis { conn, script } => {
                let mut conn = conn.clone();
                let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
                let (count, ttl): (u64, i64) =
                    script.key(key).arg(millis).invoke_async(&mut conn).await?;
                Ok(Hit {
                    count,
                    resets_in: Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
                })
            }
        }
    }
}
