//! Prometheus metrics of one instance, rendered in the text exposition format by
//! `GET /metrics` (`metrics.token`). Label values are bounded: routes are the route table's
//! patterns, never raw paths.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the request latency histogram.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// How a person proved who they are (the first factor of a sign-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    Passkey,
    MagicLink,
    Federation,
}

impl SignInMethod {
    /// The first factor behind an `amr` list (as `auth::sessions::login_method`).
    pub fn from_amr(amr: &[String]) -> Self {
        let has = |m: &str| amr.iter().any(|a| a == m);
        if has("pwd") {
            Self::Password
        } else if has("hwk") {
            Self::Passkey
        } else if has("fed") {
            Self::Federation
        } else {
            Self::MagicLink
        }
    }

    const ALL: [Self; 4] = [
        Self::Password,
        Self::Passkey,
        Self::MagicLink,
        Self::Federation,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Passkey => "passkey",
            Self::MagicLink => "magic_link",
            Self::Federation => "federation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    /// Signed in: a session or first-party tokens were issued.
    Success,
    /// Wrong credentials (or a failed ceremony).
    Failure,
    /// Refused by a rate limit before the credentials were checked.
    Throttled,
}

impl SignInOutcome {
    const ALL: [Self; 3] = [Self::Success, Self::Failure, Self::Throttled];

    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Throttled => "throttled",
        }
    }
}

/// Grants that issue tokens, as the `grant` label of `gatehouse_tokens_issued_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuedGrant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    DeviceCode,
    TokenExchange,
    /// The JSON sign-in API (`/api/auth/login` and its siblings).
    SignInApi,
}

impl IssuedGrant {
    const ALL: [Self; 6] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::DeviceCode,
        Self::TokenExchange,
        Self::SignInApi,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => "device_code",
            Self::TokenExchange => "token_exchange",
            Self::SignInApi => "sign_in_api",
        }
    }
}

const SIGN_IN_CELLS: usize = SignInMethod::ALL.len() * SignInOutcome::ALL.len();

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    latency: Histogram,
}

#[derive(Default)]
pub struct Metrics {
    /// By route: requests by status, and the latency histogram. One lock per request, and no
    /// allocation once a route has been seen.
    routes: Mutex<BTreeMap<String, RouteStats>>,
    // Fixed label sets: plain atomics, no lock on the sign-in and token paths.
    sign_ins: [AtomicU64; SIGN_IN_CELLS],
    tokens_issued: [AtomicU64; IssuedGrant::ALL.len()],
    mail_retried: AtomicU64,
    mail_given_up: AtomicU64,
}

/// Point-in-time values read when rendering.
pub struct Gauges {
    pub mail_queue_depth: u64,
    pub db_pool_size: u32,
    pub db_pool_idle: u32,
    pub rate_limit_refusals: BTreeMap<&'static str, u64>,
}

impl Metrics {
    pub fn observe_request(&self, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteStats::default());
        }
        let Some(stats) = routes.get_mut(route) else {
            return;
        };
        *stats.by_status.entry(status).or_default() += 1;
        let histogram = &mut stats.latency;
        let seconds = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    pub fn sign_in(&self, method: SignInMethod, outcome: SignInOutcome) {
        let cell = method as usize * SignInOutcome::ALL.len() + outcome as usize;
        self.sign_ins[cell].fetch_add(1, Ordering::Relaxed);
    }

    pub fn token_issued(&self, grant: IssuedGrant) {
        self.tokens_issued[grant as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A failed delivery attempt; `gave_up` when it was the last one.
    pub fn mail_failed(&self, gave_up: bool) {
        let counter = if gave_up {
            &self.mail_given_up
        } else {
            &self.mail_retried
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        self.render_counters(&mut out);
        out.push_str("# HELP gatehouse_http_requests_total HTTP requests by route and status.\n# TYPE gatehouse_http_requests_total counter\n");
        let routes = self.routes.lock().ok();
        for (route, stats) in routes.iter().flat_map(|r| r.iter()) {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "gatehouse_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP gatehouse_http_request_duration_seconds HTTP request latency by route.\n# TYPE gatehouse_http_request_duration_seconds histogram\n");
        for (route, stats) in routes.iter().flat_map(|r| r.iter()) {
            let h = &stats.latency;
            {
                let route = escape(route);
                for (bound, n) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "gatehouse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "gatehouse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\ngatehouse_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\ngatehouse_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count, h.sum, h.count
                );
            }
        }
        out.push_str("# HELP gatehouse_rate_limit_refusals_total Requests refused by each rate limit.\n# TYPE gatehouse_rate_limit_refusals_total counter\n");
        for (limit, n) in &gauges.rate_limit_refusals {
            let _ = writeln!(
                out,
                "gatehouse_rate_limit_refusals_total{{limit=\"{limit}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP gatehouse_mail_queue_depth Mails waiting in the outbox.\n# TYPE gatehouse_mail_queue_depth gauge\ngatehouse_mail_queue_depth {}",
            gauges.mail_queue_depth
        );
        let _ = writeln!(
            out,
            "# HELP gatehouse_db_pool_connections Database pool connections by state.\n# TYPE gatehouse_db_pool_connections gauge\ngatehouse_db_pool_connections{{state=\"idle\"}} {}\ngatehouse_db_pool_connections{{state=\"in_use\"}} {}",
            gauges.db_pool_idle,
            gauges.db_pool_size.saturating_sub(gauges.db_pool_idle)
        );
        out
    }
}

impl Metrics {
    fn render_counters(&self, out: &mut String) {
        out.push_str("# HELP gatehouse_sign_ins_total Sign-ins by first-factor method and outcome.\n# TYPE gatehouse_sign_ins_total counter\n");
        for method in SignInMethod::ALL {
            for outcome in SignInOutcome::ALL {
                let cell = method as usize * SignInOutcome::ALL.len() + outcome as usize;
                let _ = writeln!(
                    out,
                    "gatehouse_sign_ins_total{{method=\"{}\",outcome=\"{}\"}} {}",
                    method.as_str(),
                    outcome.as_str(),
                    self.sign_ins[cell].load(Ordering::Relaxed)
                );
            }
        }
        out.push_str("# HELP gatehouse_tokens_issued_total Token responses by grant.\n# TYPE gatehouse_tokens_issued_total counter\n");
        for grant in IssuedGrant::ALL {
            let _ = writeln!(
                out,
                "gatehouse_tokens_issued_total{{grant=\"{}\"}} {}",
                grant.as_str(),
                self.tokens_issued[grant as usize].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gatehouse_mail_delivery_failures_total Failed mail delivery attempts of this instance (final: given up, no retry).\n# TYPE gatehouse_mail_delivery_failures_total counter\ngatehouse_mail_delivery_failures_total{{final=\"false\"}} {}\ngatehouse_mail_delivery_failures_total{{final=\"true\"}} {}",
            self.mail_retried.load(Ordering::Relaxed),
            self.mail_given_up.load(Ordering::Relaxed)
        );
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
