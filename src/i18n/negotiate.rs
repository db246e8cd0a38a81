//! Which shipped language a request gets: OIDC `ui_locales`, then the person's saved
//! preference, then `Accept-Language`, then the configured default.
use super::Locale;

/// The first shipped language of a space-separated `ui_locales` list (OpenID Connect Core §3.1.2.1).
pub fn parse_ui_locales(ui_locales: &str) -> Option<Locale> {
    ui_locales.split_whitespace().find_map(Locale::from_tag)
}

/// The language of a request from what it says about itself, in order of precedence.
pub fn negotiate(
    ui_locales: Option<&str>,
    saved: Option<&str>,
    accept_language: Option<&str>,
    default: Locale,
) -> Locale {
    ui_locales
        .and_then(parse_ui_locales)
        .or_else(|| saved.and_then(Locale::from_tag))
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or(default)
}

/// The preferred shipped language of an `Accept-Language` header (quality values honoured;
/// `de-AT` matches `de`).
fn from_accept_language(header: &str) -> Option<Locale> {
    accept_language::parse(header)
        .iter()
        .find_map(|tag| Locale::from_tag(tag))
}
