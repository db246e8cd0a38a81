//! The round trip through the upstream: the state (single use, 10 minutes, bound to this
//! browser, the provider, the organization, the PKCE verifier and the nonce) and the code
//! exchange.
use openidconnect::PkceCodeChallenge;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::providers::{ProviderConfig, ProviderKind};
use super::{UpstreamIdentity, github, oidc};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::keys::{constant_time_eq, hash_token, random_token};
use crate::state::AppState;
use crate::store::federation_states::{self, FederationState};

pub const STATE_MINUTES: i64 = 10;

pub const KIND_SIGNIN: &str = "signin";
pub const KIND_ADMIN: &str = "admin";
pub const KIND_LINK: &str = "link";

/// The half of the state kept in this browser (the encrypted session cookie): what the
/// callback needs and what proves the callback arrives in the browser that started.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrowserHalf {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub provider: String,
    pub kind: String,
    pub org_id: Option<Uuid>,
    /// Where the user continues afterwards (a local path).
    pub next: String,
}

pub struct Started {
    pub redirect_to: String,
    pub browser: BrowserHalf,
}

/// The callback's query.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The redirect URI registered at the provider.
pub fn callback_url(state: &AppState, provider: &str, kind: &str) -> String {
    if kind == KIND_ADMIN {
        state.url(&format!("/auth/admin/{provider}/callback"))
    } else {
        state.url(&format!("/auth/{provider}/callback"))
    }
}

/// Stores the server half of a new state and returns the provider's authorization URL.
pub async fn start(
    state: &AppState,
    provider: &ProviderConfig,
    kind: &str,
    org_id: Option<Uuid>,
    user_id: Option<Uuid>,
    next: &str,
) -> Result<Started, AppError> {
    let csrf = random_token();
    let nonce = random_token();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let redirect_uri = callback_url(state, &provider.slug, kind);
    let redirect_to = match provider.kind {
        ProviderKind::Github => {
            github::authorize_url(provider, &redirect_uri, &csrf, challenge.as_str())?
        }
        _ => {
            oidc::authorize_url(
                state,
                provider,
                &redirect_uri,
                &csrf,
                &nonce,
                challenge.as_str(),
            )
            .await?
        }
    };
    let now = crate::store::now();
    federation_states::insert(
        &state.db,
        FederationState {
            id: Uuid::new_v4(),
            state_hash: hash_token(&csrf),
            kind: kind.to_owned(),
            provider: provider.slug.clone(),
            org_id,
            user_id,
            identity: None,
            created_at: now,
            expires_at: now + chrono::Duration::minutes(STATE_MINUTES),
            used_at: None,
        },
    )
    .await?;
    Ok(Started {
        redirect_to,
        browser: BrowserHalf {
            state: csrf,
            nonce,
            pkce_verifier: verifier.secret().clone(),
            provider: provider.slug.clone(),
            kind: kind.to_owned(),
            org_id,
            next: next.to_owned(),
        },
    })
}

fn restart_error() -> AppError {
    AppError::invalid(
        "This sign-in attempt has expired, was already used or was started in another browser. Please start again.",
    )
}

/// Checks the state against this browser's half and uses it up. Returns the server row.
pub async fn check_state(
    state: &AppState,
    provider: &str,
    kind: &str,
    browser: Option<&BrowserHalf>,
    params: &CallbackParams,
) -> Result<FederationState, AppError> {
    let (Some(browser), Some(given)) = (browser, params.state.as_deref()) else {
        return Err(restart_error());
    };
    if browser.provider != provider
        || browser.kind != kind
        || !constant_time_eq(&browser.state, given)
    {
        return Err(restart_error());
    }
    let row = federation_states::consume(
        &state.db,
        &hash_token(given),
        kind,
        provider,
        crate::store::now(),
    )
    .await?
    .ok_or_else(restart_error)?;
    if row.org_id != browser.org_id {
        return Err(restart_error());
    }
    Ok(row)
}

/// Records an upstream failure (never the code or any secret) and gives back `error`, the
/// answer to the person.
pub async fn upstream_failed(
    state: &AppState,
    provider: &ProviderConfig,
    reason: &str,
    error: AppError,
    meta: &RequestMeta,
) -> AppError {
    let recorded = audit::record(
        &state.db,
        AuditEvent::new("federation.upstream_error", Outcome::Failure, meta)
            .details(serde_json::json!({ "provider": provider.slug, "reason": reason })),
    )
    .await;
    if let Err(e) = recorded {
        return AppError::from(e);
    }
    state.metrics.sign_in(
        crate::metrics::SignInMethod::Federation,
        crate::metrics::SignInOutcome::Failure,
    );
    error
}

/// The callback after the state checked out: the provider's own error, or the code
/// exchanged for the identity.
pub async fn exchange(
    state: &AppState,
    provider: &ProviderConfig,
    browser: &BrowserHalf,
    params: &CallbackParams,
    meta: &RequestMeta,
) -> Result<UpstreamIdentity, AppError> {
    let name = provider.name.clone();
    if let Some(error) = params.error.as_deref() {
        // The person cancelled (400), or the provider failed (502).
        let message = if error == "access_denied" {
            AppError::invalid(format!(
                "Sign-in with {name} was cancelled. You can try again or choose another way to sign in."
            ))
        } else {
            AppError::Upstream {
                timed_out: false,
                message: format!("{name} could not sign you in. Please try again.").into(),
            }
        };
        // Only a known error code goes to the audit log, never free text from the upstream.
        let reason = if error == "access_denied" {
            "access_denied"
        } else {
            "error"
        };
        return Err(upstream_failed(state, provider, reason, message, meta).await);
    }
    let Some(code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(AppError::invalid(format!(
            "{name} did not send a sign-in code. Please try again."
        )));
    };
    let redirect_uri = callback_url(state, &provider.slug, &browser.kind);
    let result = match provider.kind {
        ProviderKind::Github => {
            github::identity(state, provider, code, &redirect_uri, &browser.pkce_verifier).await
        }
        _ => {
            oidc::identity(
                state,
                provider,
                code,
                &redirect_uri,
                &browser.pkce_verifier,
                &browser.nonce,
            )
            .await
        }
    };
    match result {
        Ok(identity) => Ok(identity),
        Err(failure) => Err(upstream_failed(
            state,
            provider,
            failure.reason(),
            failure.error(&name),
            meta,
        )
        .await),
    }
}

/// Why an exchange with the upstream failed: the audit reason and the user's message.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("upstream: {0}")]
    Upstream(#[from] super::http::UpstreamError),
    #[error("the token endpoint answered with an error")]
    TokenError,
    #[error("unusable answer: {0}")]
    BadAnswer(String),
    #[error("ID token refused: {0}")]
    IdToken(String),
    #[error("account refused: {0}")]
    Refused(String),
}

impl Failure {
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::Upstream(super::http::UpstreamError::Timeout) => "timeout",
            Failure::Upstream(super::http::UpstreamError::TooLarge) => "too_large",
            Failure::Upstream(_) => "unreachable",
            Failure::TokenError => "token_error",
            Failure::BadAnswer(_) => "bad_answer",
            Failure::IdToken(_) => "id_token_invalid",
            Failure::Refused(_) => "refused",
        }
    }

    /// The answer to the person: the provider's failure is a 502 (504 when it timed out), a
    /// refused account a 403.
    pub fn error(&self, name: &str) -> AppError {
        let message = self.message(name).into();
        match self {
            Failure::Refused(_) => AppError::Forbidden {
                code: crate::error::ErrorCode::Forbidden,
                message,
            },
            Failure::Upstream(super::http::UpstreamError::Timeout) => AppError::Upstream {
                timed_out: true,
                message,
            },
            _ => AppError::Upstream {
                timed_out: false,
                message,
            },
        }
    }

    fn message(&self, name: &str) -> String {
        match self {
            Failure::Upstream(super::http::UpstreamError::Timeout) => {
                format!("{name} did not answer in time. Please try again in a moment.")
            }
            Failure::Upstream(super::http::UpstreamError::TooLarge) => {
                format!("{name} sent an answer Gatehouse cannot accept. Please try again later.")
            }
            Failure::Upstream(_) => {
                format!("{name} could not be reached. Please try again in a moment.")
            }
            Failure::TokenError | Failure::BadAnswer(_) => {
                format!("{name} could not complete the sign-in. Please try again.")
            }
            Failure::IdToken(_) => {
                format!("The answer from {name} could not be verified, so you were not signed in.")
            }
            Failure::Refused(message) => message.clone(),
        }
    }
}
