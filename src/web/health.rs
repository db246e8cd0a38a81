use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// How long a readiness probe waits for the database: a probe must answer while the database
/// is down, well before the pool's own acquire timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database answers, the signing keys are loaded and every migration this
/// binary knows is applied. 503 names what is missing.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let mut problems = Vec::new();
    match tokio::time::timeout(PROBE_TIMEOUT, crate::store::migrations_current(&state.db)).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => problems.push("migrations pending"),
        Ok(Err(_)) | Err(_) => problems.push("database unreachable"),
    }
    if state.keys.active_kid().is_none() {
        problems.push("no signing key loaded");
    }
    if problems.is_empty() {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .insert_header(("Cache-Control", "no-store"))
            .body(problems.join("\n"))
    }
}
