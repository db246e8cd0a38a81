//! What a hosted page says when something is refused, in the page's language. The core words
//! its refusals in English for the JSON API; here each becomes a catalogue message: the domain's
//! validation variants by name, `AppError` messages through `i18n::refusal`
//! (`templates/locales/*/refusals.ftl`).
use crate::domain::{EmailRefusal, PasswordRefusal};
use crate::error::AppError;
use crate::i18n::t;

/// A refused new password, as a form field's error.
pub fn password(refusal: PasswordRefusal) -> String {
    t(match refusal {
        PasswordRefusal::TooShort => "field-password-too-short",
        PasswordRefusal::TooLong => "field-password-too-long",
        PasswordRefusal::Common => "field-password-common",
    })
}

/// A refused email address, as a form field's error.
pub fn email(refusal: EmailRefusal) -> String {
    t(match refusal {
        EmailRefusal::Empty => "field-email-empty",
        EmailRefusal::Malformed => "field-email-malformed",
    })
}

/// The message of a refusal (`AppError`) as a page shows it.
pub fn message(error: &AppError) -> String {
    crate::i18n::refusal(&error.to_string())
}

/// A refusal answered as JSON to a hosted page's own script (the passkey ceremonies), which
/// shows the message on the page: the same error in the page's language.
pub fn for_page_script(error: AppError) -> AppError {
    let text = message(&error).into();
    match error {
        AppError::Invalid { code, .. } => AppError::Invalid {
            code,
            message: text,
        },
        AppError::Unauthorized { code, .. } => AppError::Unauthorized {
            code,
            message: text,
        },
        AppError::Forbidden { code, .. } => AppError::Forbidden {
            code,
            message: text,
        },
        other => other,
    }
}
