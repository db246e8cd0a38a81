//! Prometheus metrics of one instance, rendered in the text exposition format by
//! `GET /metrics` (`metrics.token`). Label values are bounded: routes are the route table's
//! patterns, never raw paths.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
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

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
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
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency.entry(route.to_owned()).or_default();
            let seconds = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    histogram.counts[i] += 1;
                }
            }
            histogram.count += 1;
            histogram.sum += seconds;
        }
    }

    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP gatehouse_http_requests_total HTTP requests by route and status.\n# TYPE gatehouse_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "gatehouse_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP gatehouse_http_request_duration_seconds HTTP request latency by route.\n# TYPE gatehouse_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
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

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
