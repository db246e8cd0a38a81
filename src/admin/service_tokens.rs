//! Service tokens presented to the admin API.
//!
//! PLACEHOLDER owned by the `service-tokens` helper (issue 15): it replaces this body with the
//! real lookup (prefix + checksum, SHA-256 by public id, constant-time compare, overlap,
//! revocation, `last_used_at`). Until then no service token authenticates.
use super::Actor;
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;

/// `Ok(Some(actor))` for a live service token, `Ok(None)` when `raw` is not a service token,
/// an error (e.g. `TOKEN_EXPIRED`) for a service token that may no longer be used.
pub async fn authenticate(
    _state: &AppState,
    _raw: &str,
    _meta: &RequestMeta,
) -> Result<Option<Actor>, AppError> {
    Ok(None)
}
