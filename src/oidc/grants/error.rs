//! Why a grant was refused, as a type. The protocol answer (RFC 6749 §5.2, RFC 8628 §3.5) and
//! the seed-004 JSON answer are each derived here once, from the variant, never from a message:
//! rewording a description changes neither a status nor an `error_code`.
use std::borrow::Cow;
use std::time::Duration;

use crate::error::{AppError, ErrorCode};
use crate::oidc::error::{OAuthError, OAuthErrorCode};

/// What the client presented to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    Code,
    RefreshToken,
    DeviceCode,
    /// A service token (token exchange's `subject_token`).
    ServiceToken,
}

impl Presented {
    fn noun(self) -> &'static str {
        match self {
            Self::Code => "authorization code",
            Self::RefreshToken => "refresh token",
            Self::DeviceCode => "device code",
            Self::ServiceToken => "service token",
        }
    }
}

/// How PKCE (RFC 7636 §4.6, RFC 9700 §2.1.1) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkce {
    Mismatch,
    VerifierMissing,
    /// A verifier without a challenge is refused (RFC 9700 §2.1.1).
    NoChallenge,
}

#[derive(Debug)]
pub enum GrantError {
    /// A required parameter is absent (`invalid_request`).
    Missing(&'static str),
    UnsupportedGrantType(String),
    /// `unauthorized_client`: the client may not use this grant.
    NotAllowed(Cow<'static, str>),
    /// `invalid_scope`, with its reason.
    Scope(&'static str),
    /// Unknown, or issued to another client.
    Unknown(Presented),
    Expired(Presented),
    /// The refresh family outlived its absolute lifetime (RFC 9700 §4.14.2).
    SignInTooOld {
        days: i64,
    },
    /// Presented a second time (a replay: what it issued was revoked).
    Used(Presented),
    Revoked,
    /// A revoked service token (token exchange).
    TokenRevoked(Presented),
    /// Token exchange: a `subject_token_type` other than a service token's.
    UnsupportedTokenType(String),
    /// The session-bound family's browser session is over.
    SessionEnded,
    RedirectUriMismatch,
    Pkce(Pkce),
    UserInactive(Presented),
    /// The person denied the device (RFC 8628 §3.5 `access_denied`).
    Denied,
    /// RFC 8628 §3.5 `authorization_pending`.
    Pending,
    /// RFC 8628 §3.5 `slow_down`: the new interval.
    SlowDown(Duration),
    Failed(AppError),
}

impl From<AppError> for GrantError {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl From<sea_orm::DbErr> for GrantError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Failed(e.into())
    }
}

impl From<GrantError> for OAuthError {
    /// The token endpoint's answer.
    fn from(e: GrantError) -> Self {
        let invalid = |d: Cow<'static, str>| OAuthError::invalid_grant(d);
        match e {
            GrantError::Failed(e) => e.into(),
            GrantError::Missing(name) => {
                OAuthError::invalid_request(format!("{name} is required"))
            }
            GrantError::UnsupportedGrantType(name) => OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!("unsupported grant_type {name:?}"),
            ),
            GrantError::NotAllowed(why) => OAuthError::new(OAuthErrorCode::UnauthorizedClient, why),
            GrantError::Scope(why) => OAuthError::invalid_scope(why),
            GrantError::Unknown(p) => invalid(format!("the {} is invalid", p.noun()).into()),
            GrantError::Expired(Presented::DeviceCode) => OAuthError::new(
                OAuthErrorCode::ExpiredToken,
                "the device code has expired",
            ),
            GrantError::Expired(p) => invalid(format!("the {} has expired", p.noun()).into()),
            GrantError::SignInTooOld { days } => invalid(
                format!(
                    "the refresh token has expired: its sign-in is more than {days} days old; sign in again"
                )
                .into(),
            ),
            GrantError::Used(Presented::RefreshToken) => invalid(
                "the refresh token has already been used; its session was revoked".into(),
            ),
            GrantError::Used(p) => {
                invalid(format!("the {} has already been used", p.noun()).into())
            }
            GrantError::Revoked => invalid("the refresh token has been revoked".into()),
            GrantError::TokenRevoked(p) => {
                invalid(format!("the {} has been revoked", p.noun()).into())
            }
            GrantError::UnsupportedTokenType(name) => OAuthError::new(
                OAuthErrorCode::UnsupportedTokenType,
                format!("unsupported subject_token_type {name:?}"),
            ),
            GrantError::SessionEnded => {
                invalid("the sign-in session of this refresh token has ended".into())
            }
            GrantError::RedirectUriMismatch => {
                invalid("redirect_uri does not match the authorization request".into())
            }
            GrantError::Pkce(Pkce::Mismatch) => invalid("PKCE verification failed".into()),
            GrantError::Pkce(Pkce::VerifierMissing) => invalid("code_verifier is required".into()),
            GrantError::Pkce(Pkce::NoChallenge) => invalid(
                "no code_challenge was sent with the authorization request".into(),
            ),
            GrantError::UserInactive(_) => invalid("the user is no longer active".into()),
            GrantError::Denied => {
                OAuthError::new(OAuthErrorCode::AccessDenied, "the user denied the request")
            }
            GrantError::Pending => OAuthError::new(
                OAuthErrorCode::AuthorizationPending,
                "the user has not yet approved this device",
            ),
            GrantError::SlowDown(wait) => OAuthError {
                retry_after: Some(wait),
                ..OAuthError::new(
                    OAuthErrorCode::SlowDown,
                    format!("poll at most every {} seconds", wait.as_secs()),
                )
            },
        }
    }
}

impl From<GrantError> for AppError {
    /// The seed-004 JSON answers (`POST /auth/token` for devices, `POST /api/auth/refresh`).
    fn from(e: GrantError) -> Self {
        let invalid_refresh = || AppError::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: "Invalid refresh token".into(),
        };
        match e {
            GrantError::Failed(e) => e,
            GrantError::Pending => AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: "Not authorized".into(),
            },
            GrantError::SlowDown(retry_after) => AppError::RateLimited {
                retry_after,
                limit: 1,
            },
            GrantError::Expired(Presented::DeviceCode) => AppError::Invalid {
                code: ErrorCode::DeviceCodeExpired,
                message: "Device code expired".into(),
            },
            GrantError::Denied => AppError::Forbidden {
                code: ErrorCode::Forbidden,
                message: "Access denied".into(),
            },
            GrantError::Used(Presented::DeviceCode) => {
                AppError::invalid("Device code already used")
            }
            GrantError::Unknown(Presented::DeviceCode)
            | GrantError::UserInactive(Presented::DeviceCode) => {
                AppError::invalid("Invalid device code")
            }
            GrantError::Expired(Presented::RefreshToken) | GrantError::SignInTooOld { .. } => {
                AppError::Unauthorized {
                    code: ErrorCode::TokenExpired,
                    message: "Refresh token expired".into(),
                }
            }
            GrantError::Unknown(Presented::RefreshToken)
            | GrantError::Used(Presented::RefreshToken)
            | GrantError::UserInactive(Presented::RefreshToken)
            | GrantError::Revoked
            | GrantError::SessionEnded => invalid_refresh(),
            // Requests the JSON endpoints do not make: the protocol description, as a 400.
            other => AppError::invalid(OAuthError::from(other).description.into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_errors_keep_the_seed_statuses() {
        let pending = AppError::from(GrantError::Pending);
        assert!(matches!(pending, AppError::Unauthorized { .. }));
        assert_eq!(pending.to_string(), "Not authorized");
        let expired = AppError::from(GrantError::Expired(Presented::DeviceCode));
        assert!(matches!(
            expired,
            AppError::Invalid {
                code: ErrorCode::DeviceCodeExpired,
                ..
            }
        ));
        assert!(matches!(
            AppError::from(GrantError::SlowDown(Duration::from_secs(10))),
            AppError::RateLimited { retry_after, .. } if retry_after == Duration::from_secs(10)
        ));
    }

    #[test]
    fn every_refresh_expiry_is_token_expired_on_the_json_api() {
        for e in [
            GrantError::Expired(Presented::RefreshToken),
            GrantError::SignInTooOld { days: 30 },
        ] {
            assert!(matches!(
                AppError::from(e),
                AppError::Unauthorized {
                    code: ErrorCode::TokenExpired,
                    ..
                }
            ));
        }
    }

    #[test]
    fn the_device_grant_answers_with_rfc_8628_codes() {
        assert_eq!(
            OAuthError::from(GrantError::Expired(Presented::DeviceCode)).code,
            OAuthErrorCode::ExpiredToken
        );
        assert_eq!(
            OAuthError::from(GrantError::Used(Presented::Code)).description,
            "the authorization code has already been used"
        );
    }
}
