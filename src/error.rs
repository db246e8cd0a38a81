//! The core error type (no actix here): mapped to HTTP only in `web::errors`.
use std::borrow::Cow;
use std::time::Duration;

#[derive(thiserror::Error)]
pub enum AppError {
    /// 400; the message is safe to show.
    #[error("{message}")]
    Invalid {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    /// 401 with enumeration-safe wording unless a specific message is given.
    #[error("{message}")]
    Unauthorized {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    #[error("{message}")]
    Forbidden {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    /// 404; the message says what was not found (seed 004 names it, e.g. "User not found").
    #[error("{0}")]
    NotFound(&'static str),
    /// 409: the change clashes with what exists (a taken slug or email).
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    #[error("Too many requests. Please try again later.")]
    RateLimited { retry_after: Duration, limit: u32 },
    /// 502, or 504 when it `timed_out`: an upstream provider failed us, not the request.
    #[error("{message}")]
    Upstream {
        timed_out: bool,
        message: Cow<'static, str>,
    },
    /// 500; the cause is logged, never serialized.
    #[error("Something went wrong")]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Invalid {
            code: ErrorCode::BadRequest,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::NotFound("Not found")
    }

    pub fn bad_credentials() -> Self {
        Self::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: "Invalid email or password".into(),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(e))
    }
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// Writes an error and every `source()` below it, one per line.
pub fn error_chain_fmt(
    e: &impl std::error::Error,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    writeln!(f, "{e}")?;
    let mut current = e.source();
    while let Some(cause) = current {
        writeln!(f, "Caused by:\n\t{cause}")?;
        current = cause.source();
    }
    Ok(())
}

/// Stable codes of the JSON API error envelope (seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    TokenExpired,
    JwtError,
    Forbidden,
    EmailNotVerified,
    OrganizationNotActive,
    NotFound,
    RateLimitExceeded,
    DeviceCodeExpired,
    InternalServerError,
    OauthError,
    Conflict,
    UpstreamError,
}
