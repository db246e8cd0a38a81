//! Ceremony state kept server-side (`webauthn_ceremonies`): five minutes, single use, keyed by
//! a random id; the client only ever holds that id.
use uuid::Uuid;

use super::CEREMONY_MINUTES;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::webauthn_ceremonies::{self, Ceremony};

pub(super) const KIND_REGISTER: &str = "register";
pub(super) const KIND_AUTHENTICATE: &str = "authenticate";
pub(super) const KIND_DISCOVERABLE: &str = "discoverable";

pub(super) async fn new_ceremony(
    state: &AppState,
    kind: &str,
    user_id: Option<Uuid>,
    ceremony_state: String,
) -> Result<Uuid, AppError> {
    let expires = crate::store::now() + chrono::Duration::minutes(CEREMONY_MINUTES);
    let row =
        webauthn_ceremonies::insert(&state.db, kind, user_id, ceremony_state, expires).await?;
    Ok(row.id)
}

/// Loads and uses up a ceremony. Refuses unknown, expired and already used ids, another
/// kind of ceremony, and (401) a ceremony that belongs to another user.
pub(super) async fn take_ceremony(
    state: &AppState,
    raw_id: &str,
    kinds: &[&str],
    user_id: Option<Uuid>,
) -> Result<Ceremony, AppError> {
    let unknown = || AppError::invalid("Invalid or expired challenge");
    let id = Uuid::parse_str(raw_id.trim()).map_err(|_| unknown())?;
    let ceremony = webauthn_ceremonies::find(&state.db, id)
        .await?
        .filter(|c| kinds.contains(&c.kind.as_str()))
        .ok_or_else(unknown)?;
    let now = crate::store::now();
    if ceremony.used_at.is_some() {
        return Err(AppError::invalid(
            "This challenge was already used. Please start again.",
        ));
    }
    if ceremony.expires_at <= now {
        return Err(AppError::invalid(
            "This challenge has expired. Please start again.",
        ));
    }
    if let Some(user_id) = user_id
        && ceremony.user_id != Some(user_id)
    {
        return Err(AppError::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: "This challenge does not belong to you".into(),
        });
    }
    if !webauthn_ceremonies::consume(&state.db, id, now).await? {
        return Err(AppError::invalid(
            "This challenge was already used. Please start again.",
        ));
    }
    Ok(ceremony)
}
