use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

// Split around `form-action` so the form_post page can extend it (`concat!` needs literals).
macro_rules! csp_before_form_action_end {
    () => {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; form-action 'self' http: https:"
    };
}
macro_rules! csp_after_form_action {
    () => {
        "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    };
}
const CSP: &str = concat!(csp_before_form_action_end!(), csp_after_form_action!());

/// The default policy whose `form-action` also admits `target`'s private-use scheme (RFC 8252
/// §7.1), for the one page that posts a form to a relying app (`response_mode=form_post`).
/// `None` for http(s) targets, which the default already admits.
pub fn csp_allowing_form_target(target: &str) -> Option<String> {
    let url = url::Url::parse(target).ok()?;
    // A URL scheme is ASCII letters, digits, `+`, `-` and `.`: nothing that ends a directive.
    let scheme = url.scheme();
    if matches!(scheme, "http" | "https") {
        return None;
    }
    Some(format!(
        "{} {scheme}:{}",
        csp_before_form_action_end!(),
        csp_after_form_action!()
    ))
}

/// Security headers on every response; HSTS only when the issuer is https.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.is_https());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let set = |headers: &mut actix_web::http::header::HeaderMap,
               name: HeaderName,
               value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    // No inline script anywhere, so the policy can stay strict.
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    if https {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    Ok(response)
}

/// A request id for every request, in a tracing span around its handling (so every log line
/// of the request carries it, in JSON logs as a field) and in the `X-Request-Id` answer header.
/// A W3C `traceparent` from the caller (a load balancer, a relying app) is continued: its trace
/// id is logged and the answer's `traceparent` names this request as the parent span.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let span_id = format!("{:016x}", rand::random::<u64>().max(1));
    let trace_id = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(trace_id_of)
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>().max(1)));
    let span = tracing::info_span!(
        "request",
        request_id = %span_id,
        trace_id = %trace_id,
        method = %req.method(),
        path = %req.path(),
    );
    let mut res = next.call(req).instrument(span).await?;
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&span_id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("00-{trace_id}-{span_id}-01")) {
        headers.insert(HeaderName::from_static("traceparent"), value);
    }
    Ok(res)
}

/// The trace id of a version-00 `traceparent` (32 lower-case hex digits, not all zero).
fn trace_id_of(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace_id) = (parts.next()?, parts.next()?);
    let (parent, flags) = (parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (version == "00"
        && hex(trace_id, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0'))
    .then(|| trace_id.to_owned())
}

/// Counts every answer by route pattern (bounded labels) and status, and its latency.
/// Routes registered with exactly these paths (see `web::routes`).
const FIXED_ROUTES: [&str; 9] = [
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
    "/token",
    "/introspect",
    "/revoke",
    "/userinfo",
    "/healthz",
    "/readyz",
    "/metrics",
];

pub async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    // The hot protocol routes have no path parameters: their path is their pattern, which
    // spares a walk of the route table per request.
    let route: std::borrow::Cow<'static, str> =
        match FIXED_ROUTES.iter().find(|r| **r == req.path()) {
            Some(fixed) => std::borrow::Cow::Borrowed(fixed),
            None => req
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned())
                .into(),
        };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        state
            .metrics
            .observe_request(&route, res.status().as_u16(), started.elapsed());
    }
    Ok(res)
}

#[cfg(test)]
mod request_context_tests {
    use super::trace_id_of;

    #[test]
    fn only_well_formed_traceparents_are_continued() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            trace_id_of(&format!("00-{id}-00f067aa0ba902b7-01")).as_deref(),
            Some(id)
        );
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            assert_eq!(trace_id_of(bad), None, "{bad}");
        }
    }
}
