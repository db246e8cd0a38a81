//! Signing micro-benchmark: how many access tokens one core signs per second with Gatehouse's
//! own `KeyStore` (RS256, ES256, EdDSA), the ceiling for every grant that mints a JWT.
//! `cargo bench --bench signing`; `tests/bench/run.sh` reads its `RESULT` lines.
//!
//! CPU time is the signing thread's own (`/proc/thread-self/schedstat`), so a busy machine
//! lowers `sign_per_sec` (wall clock) but not `sign_per_cpu_sec`.
use std::time::{Duration, Instant};

use gatehouse::keys::{KeyStore, MasterKey};

const WARM_UP: usize = 200;
const MEASURE_FOR: Duration = Duration::from_secs(3);

/// Nanoseconds this thread has run on a CPU; `None` where the kernel does not say.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The claims of a typical user access token (the shape `oidc::tokens` mints).
fn claims() -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    serde_json::json!({
        "iss": "https://sso.example.com",
        "sub": "3f0c7f8e-6f5e-4d7c-9a39-0b1f0f3b2a11",
        "aud": "acme-web",
        "exp": now + 900,
        "iat": now,
        "jti": "0d6c3f6e-51c4-4c9e-8d4e-2f3b7a1c9e55",
        "scope": "openid profile email",
        "client_id": "acme-web",
        "org": "acme",
        "service": "web",
        "pid": "9b2e4b6a-3c1d-4f7e-8a2b-5d6c7e8f9a0b",
        "roles": ["member"],
        "permissions": [],
        "email": "ann@example.com",
        "email_verified": true,
        "amr": ["pwd"],
        "auth_time": now,
        "sid": "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170",
    })
}

fn measure(keys: &KeyStore, alg: &str) -> anyhow::Result<()> {
    let claims = claims();
    for _ in 0..WARM_UP {
        keys.sign(&claims, alg, Some("at+jwt"))?;
    }
    let (cpu_start, wall_start) = (thread_cpu_ns(), Instant::now());
    let mut signed: u64 = 0;
    let mut bytes = 0;
    while wall_start.elapsed() < MEASURE_FOR {
        bytes = keys.sign(&claims, alg, Some("at+jwt"))?.len();
        signed += 1;
    }
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(start), Some(end)) if end > start => (end - start) as f64 / 1e9,
        _ => wall,
    };
    println!(
        "RESULT {alg} sign_per_sec={:.0} sign_per_cpu_sec={:.0} signed={signed} wall_s={wall:.2} cpu_s={cpu:.2} token_bytes={bytes}",
        signed as f64 / wall,
        signed as f64 / cpu,
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let db = gatehouse::store::connect("sqlite::memory:", 1).await?;
    gatehouse::store::migrate(&db).await?;
    let keys = KeyStore::load_or_init(&db, MasterKey::generate(), 2048).await?;
    for alg in ["RS256", "ES256", "EdDSA"] {
        keys.ensure_active(&db, alg).await?;
        measure(&keys, alg)?;
    }
    Ok(())
}
