//! Per-IP and per-identity rate limits, answered with 429 + `Retry-After` + `RateLimit-*`
//! headers by the web layer. Each instance counts in memory; with `rate_limit.backend` =
//! `postgres` or `redis` a request the local count lets through is also counted in a store
//! every instance shares, so the budget holds across instances.
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitSettings;
use crate::error::AppError;

mod failures;
mod shared;
use failures::FailureWindow;
pub use shared::SharedCounters;

/// Refused requests per limit since the last [`RateLimits::take_refusals`]. A throttled
/// request writes no row of its own (a flood must not grow the database); the housekeeping
/// task writes one aggregated audit row per minute from these counts instead.
#[derive(Default)]
struct Tally(
    Mutex<BTreeMap<&'static str, u64>>,
    Mutex<BTreeMap<&'static str, u64>>,
);

impl Tally {
    fn note(&self, name: &'static str) {
        for counts in [&self.0, &self.1] {
            let mut counts = counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *counts.entry(name).or_default() += 1;
        }
    }

    /// Refusals since start (metrics), unlike `take`.
    fn totals(&self) -> BTreeMap<&'static str, u64> {
        self.1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn take(&self) -> BTreeMap<&'static str, u64> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Where a limit counts besides this instance's memory.
#[derive(Clone)]
struct Shared {
    counters: Arc<SharedCounters>,
    prefix: String,
}

struct Limit<K: Hash + Eq + Clone + Debug> {
    name: &'static str,
    limiter: DefaultKeyedRateLimiter<K>,
    burst: u32,
    window: Duration,
    tally: Arc<Tally>,
    shared: Option<Shared>,
}

impl<K: Hash + Eq + Clone + Debug> Limit<K> {
    fn new(name: &'static str, limits: &Setup, burst: u32, window: Duration) -> Self {
        let burst_nz = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = window / burst.max(1);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(burst_nz))
            .allow_burst(burst_nz);
        Self {
            name,
            limiter: RateLimiter::keyed(quota),
            burst: burst.max(1),
            window,
            tally: Arc::clone(&limits.tally),
            shared: limits.shared.clone(),
        }
    }

    /// The local limiter first (free, refuses a flood at one instance), then the shared count.
    async fn check(&self, key: &K) -> Result<(), AppError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.refuse(wait)
        })?;
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        // Keys hold addresses and emails: the shared store only sees their hash.
        let key = format!(
            "{}{}:{}",
            shared.prefix,
            self.name,
            crate::keys::hash_token(&format!("{key:?}"))
        );
        match shared.counters.hit(&key, self.window).await {
            Ok(hit) if hit.count > u64::from(self.burst) => Err(self.refuse(hit.resets_in)),
            Ok(_) => Ok(()),
            // An unreachable store must not stop sign-ins: the local count still applies.
            Err(e) => {
                tracing::warn!(limit = self.name, error = %e, "shared rate-limit counter unavailable; counting on this instance only");
                Ok(())
            }
        }
    }

    fn refuse(&self, wait: Duration) -> AppError {
        self.tally.note(self.name);
        AppError::RateLimited {
            retry_after: wait.max(Duration::from_secs(1)),
            limit: self.burst,
        }
    }
}

/// What every limit is built with.
struct Setup {
    tally: Arc<Tally>,
    shared: Option<Shared>,
}

/// The rate-limit key of a client address: IPv4 as is, IPv6 by its /64, because one
/// subscriber or host usually gets a whole /64 and could otherwise rotate through 2^64 keys.
/// Audit rows and sessions keep the full address.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
        v4 => v4,
    }
}

/// Failed service-token uses audited one by one per client network and minute.
pub const TOKEN_FAILURE_AUDITS_PER_MINUTE: u32 = 10;

/// The network key of requests whose peer address is unknown (not over TCP).
const UNKNOWN_CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

pub struct RateLimits {
    login_ip: Limit<IpAddr>,
    login_account_network: Limit<(String, IpAddr)>,
    login_account: Limit<String>,
    mail_address: Limit<String>,
    requests_ip: Limit<IpAddr>,
    mfa_failures: FailureWindow<uuid::Uuid>,
    device_code_ip: Limit<IpAddr>,
    magic_link_email_network: Limit<(String, IpAddr)>,
    magic_link_email: Limit<String>,
    authorize_ip: Limit<IpAddr>,
    token_failure_audit_ip: Limit<IpAddr>,
    admin_caller: Limit<String>,
    tally: Arc<Tally>,
}

impl RateLimits {
    /// In-memory limits only.
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self::with_shared(settings, None)
    }

    /// Limits that also count in `shared` (see `rate_limit.backend`).
    pub fn with_shared(settings: &RateLimitSettings, shared: Option<SharedCounters>) -> Self {
        let setup = Setup {
            tally: Arc::new(Tally::default()),
            shared: shared.map(|counters| Shared {
                counters: Arc::new(counters),
                prefix: settings.key_prefix.clone(),
            }),
        };
        let t = &setup;
        Self {
            login_ip: Limit::new(
                "login_per_ip",
                t,
                settings.login_per_ip_per_minute,
                Duration::from_secs(60),
            ),
            login_account_network: Limit::new(
                "login_per_account_and_network",
                t,
                settings.login_per_account_per_15_minutes,
                Duration::from_secs(15 * 60),
            ),
            login_account: Limit::new(
                "login_per_account",
                t,
                settings.login_per_account_ceiling_per_15_minutes,
                Duration::from_secs(15 * 60),
            ),
            mail_address: Limit::new(
                "mail_per_address",
                t,
                settings.mail_per_address_per_hour,
                Duration::from_secs(3600),
            ),
            requests_ip: Limit::new(
                "requests_per_ip",
                t,
                settings.requests_per_ip_per_minute,
                Duration::from_secs(60),
            ),
            magic_link_email_network: Limit::new(
                "magic_links_per_email_and_network",
                t,
                settings.magic_links_per_email_per_15_minutes,
                Duration::from_secs(15 * 60),
            ),
            magic_link_email: Limit::new(
                "magic_links_per_email",
                t,
                settings.magic_links_per_email_ceiling_per_15_minutes,
                Duration::from_secs(15 * 60),
            ),
            mfa_failures: FailureWindow::new(
                settings.mfa_attempts_per_user_per_5_minutes,
                Duration::from_secs(300),
            ),
            device_code_ip: Limit::new(
                "device_code_entry_per_ip",
                t,
                settings.device_code_entry_per_ip_per_minute,
                Duration::from_secs(60),
            ),
            authorize_ip: Limit::new(
                "authorize_per_ip",
                t,
                settings.authorize_per_ip_per_minute,
                Duration::from_secs(60),
            ),
            token_failure_audit_ip: Limit::new(
                "service_token_failures_per_ip",
                t,
                TOKEN_FAILURE_AUDITS_PER_MINUTE,
                Duration::from_secs(60),
            ),
            admin_caller: Limit::new(
                "admin_api_per_caller",
                t,
                settings.admin_api_per_caller_per_minute,
                Duration::from_secs(60),
            ),
            tally: setup.tally.clone(),
        }
    }

    /// Authorization requests that store a pending request, per client network: each one
    /// writes a row for an anonymous caller.
    pub async fn check_authorize(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.authorize_ip.check(&network(ip)).await,
            None => Ok(()),
        }
    }

    /// May this refused service token get its own audit row? Up to
    /// [`TOKEN_FAILURE_AUDITS_PER_MINUTE`] per client network; beyond that the failure is only
    /// counted in the tally (one aggregated row a minute), so a flood cannot fill the table.
    pub async fn allow_token_failure_audit(&self, ip: Option<IpAddr>) -> bool {
        self.token_failure_audit_ip
            .check(&ip.map(network).unwrap_or(UNKNOWN_CLIENT))
            .await
            .is_ok()
    }

    /// Admin API requests per authenticated caller (`Actor::audit_ref`): one budget per
    /// token or user, wherever its requests come from.
    pub async fn check_admin_caller(&self, caller: &str) -> Result<(), AppError> {
        self.admin_caller.check(&caller.to_owned()).await
    }

    /// Refusals per limit name since the start (metrics).
    pub fn refusal_totals(&self) -> BTreeMap<&'static str, u64> {
        self.tally.totals()
    }

    /// Refusals per limit name since the previous call (see [`Tally`]).
    pub fn take_refusals(&self) -> BTreeMap<&'static str, u64> {
        self.tally.take()
    }

    /// Every sign-in attempt counts against the client network, the (account, network) pair
    /// and, with a much higher budget, the account. Someone who knows an address can use up
    /// its budget only from their own network: its owner, elsewhere, still signs in, and
    /// holding the account ceiling closed takes many networks.
    pub async fn check_login(&self, ip: Option<IpAddr>, account: &str) -> Result<(), AppError> {
        let net = ip.map(network);
        if let Some(net) = net {
            self.login_ip.check(&net).await?;
        }
        self.login_account_network
            .check(&(account.to_owned(), net.unwrap_or(UNKNOWN_CLIENT)))
            .await?;
        self.login_account.check(&account.to_owned()).await
    }

    /// Sign-in attempts that name no account until they are verified (passkeys), per client IP.
    pub async fn check_login_ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.login_ip.check(&network(ip)).await,
            None => Ok(()),
        }
    }

    /// Requests that send mail, create accounts or start passkey ceremonies, per client IP.
    pub async fn check_request(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.requests_ip.check(&network(ip)).await,
            None => Ok(()),
        }
    }

    /// Magic-link requests per (address, client network) pair, plus a higher ceiling per
    /// address, like sign-in; answered the same whether or not the address has an account.
    pub async fn check_magic_link(
        &self,
        ip: Option<IpAddr>,
        normalized_email: &str,
    ) -> Result<(), AppError> {
        let net = ip.map(network).unwrap_or(UNKNOWN_CLIENT);
        self.magic_link_email_network
            .check(&(normalized_email.to_owned(), net))
            .await?;
        self.magic_link_email
            .check(&normalized_email.to_owned())
            .await
    }

    /// Starts a second-factor attempt for a user. Only wrong codes count: the attempt holds a
    /// slot until [`MfaAttempt::release`] gives it back, and a dropped attempt stays counted.
    /// So a user who signs in often is never refused the right code, while parallel guesses
    /// cannot slip past the limit.
    pub fn begin_mfa(&self, user_id: uuid::Uuid) -> Result<MfaAttempt<'_>, AppError> {
        let at = self.mfa_failures.reserve(&user_id).inspect_err(|_| {
            self.tally.note("mfa_failures_per_user");
        })?;
        Ok(MfaAttempt {
            window: &self.mfa_failures,
            user_id,
            at,
        })
    }

    /// Device user codes looked up (typed or followed from a link), per client IP: user codes
    /// are short enough to guess without it (RFC 8628 §5.1).
    pub async fn check_device_code_entry(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.device_code_ip.check(&network(ip)).await,
            None => Ok(()),
        }
    }

    /// Mails sent to one address; callers stay silent when exceeded (enumeration safety).
    pub async fn allow_mail_to(&self, normalized_email: &str) -> bool {
        self.mail_address
            .check(&normalized_email.to_owned())
            .await
            .is_ok()
    }

    /// Drops idle keys so memory stays bounded.
    pub fn retain_recent(&self) {
        self.login_ip.limiter.retain_recent();
        self.login_account_network.limiter.retain_recent();
        self.login_account.limiter.retain_recent();
        self.mail_address.limiter.retain_recent();
        self.requests_ip.limiter.retain_recent();
        self.mfa_failures.retain_recent();
        self.device_code_ip.limiter.retain_recent();
        self.magic_link_email_network.limiter.retain_recent();
        self.magic_link_email.limiter.retain_recent();
        self.authorize_ip.limiter.retain_recent();
        self.token_failure_audit_ip.limiter.retain_recent();
        self.admin_caller.limiter.retain_recent();
    }
}

/// One second-factor attempt in flight; counted as a failure unless it succeeded.
#[must_use = "call release() when the code was right"]
pub struct MfaAttempt<'a> {
    window: &'a FailureWindow<uuid::Uuid>,
    user_id: uuid::Uuid,
    at: std::time::Instant,
}

impl MfaAttempt<'_> {
    /// The code was right (or none was checked): the attempt does not count.
    pub fn release(self) {
        self.window.release(&self.user_id, self.at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_a_key_per_64_and_ipv4_keeps_its_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8:1:2:bbbb::2"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        let v4 = IpAddr::from([192, 0, 2, 7]);
        assert_eq!(network(v4), v4);
    }

    #[tokio::test]
    async fn one_network_cannot_use_up_an_accounts_budget_for_another_but_the_ceiling_holds() {
        let settings = RateLimitSettings {
            login_per_account_per_15_minutes: 2,
            login_per_account_ceiling_per_15_minutes: 3,
            ..RateLimitSettings::default()
        };
        let limits = RateLimits::new(&settings);
        let attacker = Some(IpAddr::from([198, 51, 100, 66]));
        let owner = Some(IpAddr::from([203, 0, 113, 5]));
        assert!(limits.check_login(attacker, "a@x.io").await.is_ok());
        assert!(limits.check_login(attacker, "a@x.io").await.is_ok());
        assert!(limits.check_login(attacker, "a@x.io").await.is_err());
        assert!(limits.check_login(owner, "a@x.io").await.is_ok());
        // Three attempts got through for the account: its ceiling is reached.
        assert!(
            limits
                .check_login(Some(IpAddr::from([192, 0, 2, 1])), "a@x.io")
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn login_attempts_beyond_the_account_budget_are_throttled() {
        let settings = RateLimitSettings {
            login_per_account_per_15_minutes: 2,
            ..RateLimitSettings::default()
        };
        let limits = RateLimits::new(&settings);
        assert!(limits.check_login(None, "a@x.io").await.is_ok());
        assert!(limits.check_login(None, "a@x.io").await.is_ok());
        match limits.check_login(None, "a@x.io").await {
            Err(AppError::RateLimited { retry_after, limit }) => {
                assert!(retry_after >= Duration::from_secs(1));
                assert_eq!(limit, 2);
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(limits.check_login(None, "b@x.io").await.is_ok());
    }
}
