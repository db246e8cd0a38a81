//! Signing keys (platform only): list, rotate (publish a successor that activates after a
//! delay) and retire (a compromised or unwanted key).
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Invalidation, Reach, Scope, commit_and_invalidate, invalidate};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::signing_keys::{self, KeyStatus, SigningKey};

/// A rotation's delay is at most a week: longer is a typo, not a plan.
const MAX_DELAY_SECS: i64 = 7 * 24 * 3600;

/// A key as admins see it: its public half's metadata, never the private key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    /// `next`, `active` or `retired`.
    #[schema(value_type = String)]
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
    pub activates_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    /// A retired key is published (and verifies tokens) until then.
    pub publish_until: Option<DateTime<Utc>>,
}

impl From<SigningKey> for KeyView {
    fn from(k: SigningKey) -> Self {
        Self {
            kid: k.kid,
            alg: k.alg,
            status: k.status,
            created_at: k.created_at,
            activates_at: k.activates_at,
            retired_at: k.retired_at,
            publish_until: k.publish_until,
        }
    }
}

pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<KeyView>, AppError> {
    actor.require(Scope::KeysRead, Reach::Platform)?;
    Ok(signing_keys::list(&state.db)
        .await?
        .into_iter()
        .map(KeyView::from)
        .collect())
}

/// Publishes a new key of `alg` (default RS256) that starts signing after `delay_secs`
/// (default: one JWKS cache period, so relying parties see it first); the old key then retires
/// but stays published until every token it signed has expired.
pub async fn rotate(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    alg: Option<&str>,
    delay_secs: Option<i64>,
) -> Result<KeyView, AppError> {
    actor.require(Scope::KeysWrite, Reach::Platform)?;
    let alg = alg.unwrap_or("RS256");
    if !crate::keys::SUPPORTED_ALGS.contains(&alg) {
        return Err(AppError::invalid(format!(
            "unsupported signing algorithm {alg:?}; use one of {}",
            crate::keys::SUPPORTED_ALGS.join(", ")
        )));
    }
    let delay = delay_secs.unwrap_or_else(|| i64::from(state.settings.keys.jwks_max_age_secs));
    if !(0..=MAX_DELAY_SECS).contains(&delay) {
        return Err(AppError::invalid(format!(
            "delay_secs must be between 0 and {MAX_DELAY_SECS}"
        )));
    }
    let txn = crate::store::begin(&state.writer).await?;
    let mut key = state
        .keys
        .generate(&txn, alg, KeyStatus::Next)
        .await
        .map_err(AppError::Unexpected)?;
    key.activates_at = Some(crate::store::now() + chrono::Duration::seconds(delay));
    signing_keys::update(&txn, &key).await?;
    audit::record(
        &txn,
        AuditEvent::new("key.rotated", Outcome::Success, meta)
            .by(actor, format!("key:{}", key.kid), None)
            .details(serde_json::json!({"alg": alg, "delay_secs": delay})),
    )
    .await?;
    commit_and_invalidate(state, txn, &Invalidation::Keys).await?;
    if delay == 0 {
        let retired_for = crate::startup::retired_key_lifetime(state)
            .await
            .map_err(AppError::Unexpected)?;
        state
            .keys
            .promote_due(&state.db, retired_for)
            .await
            .map_err(AppError::Unexpected)?;
        // The promotion is a second change, after the rotation's commit.
        invalidate(state, &Invalidation::Keys).await?;
    }
    fresh(state, &key.kid).await
}

async fn fresh(state: &AppState, kid: &str) -> Result<KeyView, AppError> {
    signing_keys::list(&state.db)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .map(KeyView::from)
        .ok_or(AppError::NotFound("Key not found"))
}

/// Retires `kid`. A `next` key simply never signs. The `active` key is replaced at once by a
/// new active key of its algorithm. `immediate` (a compromised key) also stops publishing it,
/// so tokens it signed stop verifying now; otherwise it stays published until they expire.
pub async fn retire(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    kid: &str,
    immediate: bool,
) -> Result<KeyView, AppError> {
    actor.require(Scope::KeysWrite, Reach::Platform)?;
    let key = signing_keys::list(&state.db)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or(AppError::NotFound("Key not found"))?;
    let now = crate::store::now();
    let publish_until = if immediate || key.status == KeyStatus::Next {
        now
    } else {
        now + crate::startup::retired_key_lifetime(state)
            .await
            .map_err(AppError::Unexpected)?
    };
    let txn = crate::store::begin(&state.writer).await?;
    let successor = match key.status {
        KeyStatus::Retired if immediate => {
            signing_keys::set_publish_until(&txn, kid, now).await?;
            None
        }
        KeyStatus::Retired => {
            return Err(AppError::invalid(
                "this key is already retired; pass immediate to stop publishing it now",
            ));
        }
        status => {
            if !signing_keys::set_status(&txn, kid, status, KeyStatus::Retired, Some(publish_until))
                .await?
            {
                return Err(AppError::invalid("the key changed meanwhile; try again"));
            }
            if status == KeyStatus::Active {
                let new = state
                    .keys
                    .generate(&txn, &key.alg, KeyStatus::Active)
                    .await
                    .map_err(AppError::Unexpected)?;
                Some(new.kid)
            } else {
                None
            }
        }
    };
    audit::record(
        &txn,
        AuditEvent::new("key.retired", Outcome::Success, meta)
            .by(actor, format!("key:{kid}"), None)
            .details(serde_json::json!({
                "immediate": immediate,
                "was": key.status.to_string(),
                "successor": successor,
            })),
    )
    .await?;
    commit_and_invalidate(state, txn, &Invalidation::Keys).await?;
    fresh(state, kid).await
}
