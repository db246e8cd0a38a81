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

/// Prometheus metrics, for a bearer of `server.metrics_token`; 404 when none is configured, so
/// the endpoint does not exist unless an operator asked for it.
pub async fn metrics(state: web::Data<AppState>, req: actix_web::HttpRequest) -> HttpResponse {
    use secrecy::ExposeSecret;
    let Some(token) = &state.settings.server.metrics_token else {
        return HttpResponse::NotFound().finish();
    };
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::keys::constant_time_eq(presented, token.expose_secret()) {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer"))
            .finish();
    }
    let (db_pool_size, db_pool_idle) = crate::store::pool_usage(&state.db);
    let mail_queue_depth = tokio::time::timeout(
        PROBE_TIMEOUT,
        crate::store::mail_outbox::count_pending(&state.db),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default();
    let body = state.metrics.render(&crate::metrics::Gauges {
        mail_queue_depth,
        db_pool_size,
        db_pool_idle,
        rate_limit_refusals: state.limits.refusal_totals(),
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
