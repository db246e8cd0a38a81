//! What a person sets about their own account that is not how they sign in.
use uuid::Uuid;

use crate::error::AppError;
use crate::i18n::Locale;
use crate::state::AppState;
use crate::store::users;

/// The language of the hosted pages and mail for this account; `None` follows the browser.
/// Only a shipped language is stored, so every saved tag can be rendered.
pub async fn set_language(
    state: &AppState,
    user_id: Uuid,
    language: Option<Locale>,
) -> Result<(), AppError> {
    users::update_locale(&state.db, user_id, language.map(Locale::tag)).await?;
    Ok(())
}
