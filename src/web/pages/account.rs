use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::i18n::{Locale, When};
use crate::state::AppState;
use crate::store::{consents, services};
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{Meta, SignedIn};
use crate::web::respond;

struct ConsentRow {
    id: String,
    service: String,
    scopes: String,
    granted: When,
}

/// One place the account is signed in.
struct SessionRow {
    id: String,
    /// "Firefox on Linux", from the user agent.
    browser: String,
    /// The address it was opened from (no geo database: the address itself).
    ip: String,
    last_active: When,
    /// The session of this browser.
    current: bool,
}

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage<'a> {
    sessions: Vec<SessionRow>,
    csrf: &'a str,
    email: &'a str,
    email_verified: bool,
    signed_in_at: When,
    methods: String,
    consents: Vec<ConsentRow>,
    /// The shipped languages: (tag, name, chosen).
    languages: Vec<(&'static str, &'static str, bool)>,
    /// No language chosen: the browser's decides.
    follows_browser: bool,
}

pub async fn account_page(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let methods = sign_in_methods(&signed_in.session.amr_list());
    let saved = signed_in.user.locale.as_deref().and_then(Locale::from_tag);
    let mut rows = Vec::new();
    for consent in consents::list_for_user(&state.db, signed_in.user.id).await? {
        let service = services::find_by_id(&state.db, consent.service_id).await?;
        rows.push(ConsentRow {
            id: consent.id.to_string(),
            service: service.map_or_else(|| crate::i18n::t("account-removed-app"), |s| s.name),
            // What the application may do, in words, never the scope names.
            scopes: crate::web::oidc::authorize::describe_scopes(
                &crate::oidc::scope::ScopeSet::from_list(&consent.scopes_list()),
            )
            .join("; "),
            granted: When::new(consent.updated_at),
        });
    }
    let sessions =
        crate::store::browser_sessions::list_active_for_user(&state.db, signed_in.user.id)
            .await?
            .into_iter()
            .map(|session| SessionRow {
                id: session.id.to_string(),
                browser: describe_browser(session.user_agent.as_deref()),
                ip: session
                    .ip
                    .clone()
                    .unwrap_or_else(|| crate::i18n::t("account-unknown-address")),
                last_active: When::new(session.last_seen_at),
                current: session.id == signed_in.session.id,
            })
            .collect();
    Ok(respond::ok_page(&AccountPage {
        sessions,
        csrf: &csrf.0,
        email: &signed_in.user.email,
        email_verified: signed_in.user.email_verified,
        signed_in_at: When::new(signed_in.session.auth_time),
        methods,
        consents: rows,
        languages: Locale::ALL
            .into_iter()
            .map(|l| (l.tag(), l.native_name(), saved == Some(l)))
            .collect(),
        follows_browser: saved.is_none(),
    })?)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    /// A shipped language's tag, or empty to follow the browser.
    #[serde(default)]
    language: String,
}

/// `POST /account/language`: the language of the hosted pages and mail for this account.
pub async fn language_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LanguageForm>,
    signed_in: SignedIn,
) -> Result<HttpResponse, PageError> {
    let choice = match form.language.as_str() {
        "" => None,
        tag => Some(
            Locale::from_tag(tag)
                .ok_or_else(|| AppError::invalid(crate::i18n::t("account-language-invalid")))?,
        ),
    };
    crate::auth::profile::set_language(&state, signed_in.user.id, choice).await?;
    Ok(respond::see_other("/account#language"))
}

#[derive(Deserialize)]
pub struct RevokeConsentForm {
    #[serde(default)]
    consent_id: String,
}

/// Withdraws a consent; the application's refresh tokens for this user die with it.
pub async fn revoke_consent_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RevokeConsentForm>,
    signed_in: SignedIn,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Ok(consent_id) = uuid::Uuid::parse_str(&form.consent_id) else {
        return Ok(respond::see_other("/account"));
    };
    crate::oidc::consent::revoke(&state, signed_in.user.id, consent_id, &meta).await?;
    Ok(respond::see_other("/account"))
}

#[derive(Template)]
#[template(path = "pages/change_password.html")]
struct ChangePasswordPage<'a> {
    csrf: &'a str,
    has_password: bool,
    current_error: Option<&'a str>,
    new_error: Option<&'a str>,
}

/// `GET /account/password`
pub async fn change_password_page(
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    Ok(respond::ok_page(&ChangePasswordPage {
        csrf: &csrf.0,
        has_password: signed_in.user.password_hash.is_some(),
        current_error: None,
        new_error: None,
    })?)
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /account/password`: errors are shown at their field.
pub async fn change_password_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ChangePasswordForm>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let rerender = |status, current_error: Option<&str>, new_error: Option<&str>| {
        respond::html(
            status,
            &ChangePasswordPage {
                csrf: &csrf.0,
                has_password: signed_in.user.password_hash.is_some(),
                current_error,
                new_error,
            },
        )
    };
    let new = match crate::domain::NewPassword::parse(form.new_password) {
        Ok(new) => new,
        Err(e) => {
            let error = crate::web::refusals::password(e);
            return Ok(rerender(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&error),
            )?);
        }
    };
    let current = secrecy::SecretString::from(form.current_password);
    let (user, keep) = (&signed_in.user, signed_in.session.id);
    match crate::auth::password_change::change(&state, user, keep, current, new, &meta).await {
        Ok(()) => Ok(respond::ok_page(&super::MessagePage {
            title: &crate::i18n::t("msg-password-changed"),
            message: &crate::i18n::t("msg-your-password-is-changed-other-devices"),
            link_href: "/account",
            link_label: &crate::i18n::t("msg-back-to-your-account"),
        })?),
        Err(AppError::Unauthorized { message, .. }) => {
            let error = crate::i18n::refusal(&message);
            Ok(rerender(StatusCode::UNAUTHORIZED, Some(&error), None)?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EndSessionForm {
    /// Absent: every session but this one.
    session_id: Option<String>,
}

/// `POST /account/sessions/end`: signs out one other session, or all others.
pub async fn end_sessions_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<EndSessionForm>,
    signed_in: SignedIn,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let target = match form.session_id.as_deref() {
        None | Some("") => None,
        Some(raw) => match uuid::Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => return Ok(respond::see_other("/account")),
        },
    };
    let (user, current) = (signed_in.user.id, signed_in.session.id);
    crate::auth::sessions::end_others(&state, user, current, target, &meta).await?;
    Ok(respond::see_other("/account#sessions"))
}

/// "Firefox on Linux" from a user agent; enough to recognise a device, not a fingerprint.
fn describe_browser(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return crate::i18n::t("account-unknown-browser");
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or_else(
        || crate::i18n::t("account-a-browser"),
        |(_, name)| (*name).to_owned(),
    );
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match system {
        Some(system) => crate::i18n::t2("account-browser-on", "browser", browser, "system", system),
        None => browser,
    }
}

/// A session's sign-in methods as people know them ("Password, two-step sign-in"), never the
/// RFC 8176 codes (`pwd`, `hwk`, `mfa`).
fn sign_in_methods(amr: &[String]) -> String {
    use crate::auth::federation::IDP_PREFIX;
    use crate::i18n::t;
    let has = |code: &str| amr.iter().any(|m| m == code);
    let passkey = has("hwk") || has("swk");
    let mut names: Vec<String> = Vec::new();
    if has("pwd") {
        names.push(t("method-password"));
    }
    if passkey {
        names.push(t("method-passkey"));
    }
    if has("fed") {
        let provider = amr.iter().find_map(|m| m.strip_prefix(IDP_PREFIX));
        names.push(provider.map_or_else(
            || t("method-provider"),
            |p| crate::auth::federation::providers::display_name(p).to_owned(),
        ));
    }
    // A one-time code is the email link when it was the first factor, else the second step.
    let second_step = has("mfa") && !passkey;
    if has("otp") && names.is_empty() {
        names.push(t("method-email-link"));
    }
    if second_step {
        names.push(t("method-second-step"));
    }
    if names.is_empty() {
        names.push(t("method-unknown"));
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::sign_in_methods;

    fn names(amr: &[&str]) -> String {
        sign_in_methods(&amr.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn methods_are_named_as_people_know_them() {
        assert_eq!(names(&["pwd"]), "Password");
        assert_eq!(names(&["pwd", "otp", "mfa"]), "Password, two-step sign-in");
        assert_eq!(names(&["hwk", "mfa"]), "Passkey");
        assert_eq!(names(&["otp"]), "Email link");
        assert_eq!(names(&["fed", "idp:github"]), "GitHub");
    }

    #[test]
    fn browsers_are_named_with_their_system() {
        use super::describe_browser;
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe_browser(Some(firefox)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        assert_eq!(describe_browser(Some(chrome)), "Chrome on Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_browser(Some(iphone)), "Safari on iPhone");
        assert_eq!(describe_browser(Some("reqwest")), "A browser");
        assert_eq!(describe_browser(None), "Unknown browser");
    }
}
