//! The one place where errors become HTTP responses.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use crate::error::{AppError, ErrorCode};

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    error_code: ErrorCode,
    timestamp: &'a str,
}

impl AppError {
    fn code(&self) -> ErrorCode {
        match self {
            AppError::Invalid { code, .. }
            | AppError::Unauthorized { code, .. }
            | AppError::Forbidden { code, .. } => *code,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::RateLimited { .. } => ErrorCode::RateLimitExceeded,
            AppError::Upstream { .. } => ErrorCode::UpstreamError,
            AppError::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }

    fn log(&self) {
        match self {
            AppError::Unexpected(cause) => tracing::error!(error = ?cause, "request failed"),
            other => tracing::debug!(error = %other, "request refused"),
        }
    }
}

/// JSON API envelope: `{"error","error_code","timestamp"}`.
impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Upstream {
                timed_out: true, ..
            } => StatusCode::GATEWAY_TIMEOUT,
            AppError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        rate_limit_headers(self, &mut response);
        response.json(ErrorBody {
            error: self.to_string(),
            error_code: self.code(),
            timestamp: &timestamp,
        })
    }
}

/// `Retry-After` plus the `RateLimit-*` fields clients back off on.
pub fn rate_limit_headers(error: &AppError, response: &mut actix_web::HttpResponseBuilder) {
    if let AppError::RateLimited { retry_after, limit } = error {
        let secs = retry_after.as_secs().max(1);
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
        response.insert_header(("RateLimit-Limit", limit.to_string()));
        response.insert_header(("RateLimit-Remaining", "0"));
        response.insert_header(("RateLimit-Reset", secs.to_string()));
        response.insert_header((
            "RateLimit",
            format!("limit={limit}, remaining=0, reset={secs}"),
        ));
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    reference: Option<String>,
}

/// An error on a hosted page: a friendly HTML page, never internals.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self(e.into())
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How long to wait, in whole minutes (people do not count seconds).
fn wait_message(retry_after: std::time::Duration) -> String {
    let minutes = retry_after.as_secs().div_ceil(60).max(1);
    crate::i18n::tn("error-wait-minutes", "minutes", minutes)
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        use crate::i18n::t;
        let (title, message, reference) = match &self.0 {
            AppError::Unexpected(cause) => {
                let reference = crate::keys::random_token()[..10].to_owned();
                tracing::error!(error = ?cause, reference, "page failed");
                (
                    t("error-unexpected-title"),
                    t("error-unexpected-message"),
                    Some(reference),
                )
            }
            AppError::NotFound(_) => (
                t("error-not-found-title"),
                t("error-not-found-message"),
                None,
            ),
            AppError::RateLimited { retry_after, .. } => (
                t("error-rate-limited-title"),
                wait_message(*retry_after),
                None,
            ),
            other => {
                other.log();
                (
                    t("error-refused-title"),
                    crate::web::refusals::message(other),
                    None,
                )
            }
        };
        let html = ErrorPage {
            title: &title,
            message: &message,
            reference,
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        let mut response = HttpResponse::build(self.status_code());
        rate_limit_headers(&self.0, &mut response);
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .content_type("text/html; charset=utf-8")
            .body(html)
    }
}

/// RFC 6749 §5.2 error body with `no-store`; `invalid_client` after Basic auth is a 401 with
/// `WWW-Authenticate`, `invalid_token` a 401 and `insufficient_scope` a 403, each with a Bearer
/// challenge (RFC 6750 §3).
impl ResponseError for crate::oidc::error::OAuthError {
    fn status_code(&self) -> StatusCode {
        use crate::oidc::error::OAuthErrorCode as C;
        match self.code {
            C::InvalidClient | C::InvalidToken => StatusCode::UNAUTHORIZED,
            C::InsufficientScope => StatusCode::FORBIDDEN,
            C::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            C::TemporarilyUnavailable if self.retry_after.is_some() => {
                StatusCode::TOO_MANY_REQUESTS
            }
            C::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        use crate::oidc::error::OAuthErrorCode as C;
        tracing::debug!(error = %self, "protocol request refused");
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        match self.code {
            C::InvalidClient => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"gatehouse\", charset=\"UTF-8\"",
                ));
            }
            C::InvalidToken | C::InsufficientScope => {
                let challenge = format!(
                    "Bearer realm=\"gatehouse\", error=\"{}\", error_description=\"{}\"",
                    self.code.as_str(),
                    self.description.replace('"', "'")
                );
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            _ => {}
        }
        if let Some(retry_after) = self.retry_after {
            response.insert_header((
                header::RETRY_AFTER,
                retry_after.as_secs().max(1).to_string(),
            ));
        }
        response.json(serde_json::json!({ "error": self.code.as_str(), "error_description": self.description }))
    }
}

impl std::fmt::Display for crate::web::extract::SignInRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Redirect(to) => write!(f, "sign-in required: {to}"),
            Self::Failed(e) => e.fmt(f),
        }
    }
}

impl std::fmt::Debug for crate::web::extract::SignInRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A page that needs a signed-in person answers others with 303 to the sign-in page.
impl ResponseError for crate::web::extract::SignInRequired {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Redirect(_) => StatusCode::SEE_OTHER,
            Self::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Redirect(to) => crate::web::respond::see_other(to),
            Self::Failed(e) => e.error_response(),
        }
    }
}

impl PageError {
    pub fn error_response_html(&self) -> HttpResponse {
        ResponseError::error_response(self)
    }
}
