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
