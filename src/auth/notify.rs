//! Mail to the owner of an account when how it signs in changes (password, two-step sign-in,
//! backup codes, passkeys). Queued in the caller's transaction, so the mail exists exactly when
//! the change does; the caller wakes the mailer after committing.
use sea_orm::ConnectionTrait;

use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::mail::templates::{self, SecurityChange};
use crate::state::AppState;
use crate::store::users::User;

pub async fn security_change<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &User,
    change: SecurityChange,
    detail: Option<&str>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let locale = crate::i18n::for_recipient(user.locale.as_deref());
    let when = crate::i18n::format_utc(crate::store::now(), locale);
    let from = meta.ip.map(|ip| ip.to_string());
    let email = crate::i18n::in_locale(locale, || {
        templates::security_change(
            change,
            detail,
            &when,
            from.as_deref(),
            &state.url("/account/security"),
        )
    })
    .map_err(anyhow::Error::new)?;
    // To the address as verified on the account, never to one typed in a request.
    state.mailer.enqueue(db, &user.email, email).await?;
    Ok(())
}
