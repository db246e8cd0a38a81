//! The bootstrap token (`GATEHOUSE_BOOTSTRAP_TOKEN`, seed 001): a platform-wide admin token read
//! from the configuration, never stored, for the first setup only. Every use is audited and
//! logged at WARN; past `admin.bootstrap_token_expires_at` it answers `TOKEN_EXPIRED`.
use secrecy::ExposeSecret;

use super::Actor;
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::keys::{constant_time_eq, hash_token};
use crate::state::AppState;

/// `Some` when `raw` is the configured bootstrap token (compared in constant time): the actor,
/// or `TOKEN_EXPIRED` past its expiry. `None` for anything else.
pub async fn authenticate(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<Option<Actor>, AppError> {
    let Some(configured) = state.settings.admin.bootstrap_token.as_ref() else {
        return Ok(None);
    };
    // Equal-length digests: the comparison leaks neither content nor length.
    if !constant_time_eq(&hash_token(configured.expose_secret()), &hash_token(raw)) {
        return Ok(None);
    }
    let expires_at = state
        .settings
        .admin
        .bootstrap_expires_at()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let expired = expires_at.is_some_and(|at| at <= chrono::Utc::now());
    let outcome = if expired {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    tracing::warn!(
        expired,
        ip = meta.ip_string(),
        "the bootstrap token was used; remove GATEHOUSE_BOOTSTRAP_TOKEN once a persistent token exists"
    );
    let mut event = AuditEvent::new("admin.bootstrap_token.used", outcome, meta);
    event.actor = Some("bootstrap_token".to_owned());
    if expired {
        event = event.details(serde_json::json!({ "reason": "expired" }));
    }
    audit::record(&state.db, event).await?;
    if expired {
        return Err(AppError::Unauthorized {
            code: ErrorCode::TokenExpired,
            message: "The bootstrap token has expired".into(),
        });
    }
    let scopes = state
        .settings
        .admin
        .bootstrap_scopes()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    Ok(Some(Actor::Bootstrap { scopes }))
}

/// Logged by `serve` at start while a bootstrap token is configured.
pub fn warn_if_configured(settings: &crate::config::Settings) {
    if settings.admin.bootstrap_token.is_some() {
        tracing::warn!(
            expires_at = settings.admin.bootstrap_token_expires_at.as_deref(),
            "a bootstrap admin token is configured (GATEHOUSE_BOOTSTRAP_TOKEN): create a persistent service token and remove it"
        );
    }
}
