//! The language of each request (see `i18n::negotiate`): an OIDC `ui_locales` (remembered for
//! the rest of the sign-in in a short-lived cookie), the signed-in person's saved preference,
//! `Accept-Language`, the configured default. The handler runs inside `i18n::scope`.
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::i18n::{self, Locale};
use crate::state::AppState;

/// Carries `ui_locales` from the authorization request through the sign-in pages.
pub const UI_LOCALE_COOKIE: &str = "gh_ui_locale";
/// Long enough for one sign-in; afterwards the saved preference and the browser decide again.
const UI_LOCALE_MINUTES: i64 = 30;

/// Requests that render no page and mail nothing in a person's language: no negotiation at
/// all (these are the hot protocol paths; their texts are English, for developers).
const NO_PAGE_PREFIXES: [&str; 11] = [
    "/static/",
    "/.well-known/",
    "/jwks",
    "/token",
    "/introspect",
    "/revoke",
    "/userinfo",
    "/branding/",
    "/healthz",
    "/readyz",
    "/metrics",
];

fn renders_no_page(path: &str) -> bool {
    NO_PAGE_PREFIXES.iter().any(|p| path.starts_with(p))
}

pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = match req.app_data::<web::Data<AppState>>() {
        Some(state) if !renders_no_page(req.path()) => state.clone(),
        _ => return next.call(req).await,
    };
    let from_query = web::Query::<UiLocales>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().ui_locales)
        .and_then(|v| i18n::parse_ui_locales(&v));
    let from_cookie = req
        .cookie(UI_LOCALE_COOKIE)
        .and_then(|c| Locale::from_tag(c.value()));
    let ui_locale = from_query.or(from_cookie);
    let saved = match ui_locale {
        Some(_) => None,
        None => saved_preference(&state, &req).await,
    };
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let branding = &state.settings.branding;
    let default = Locale::from_tag(&branding.default_language).unwrap_or_default();
    let locale = i18n::negotiate(
        ui_locale.map(Locale::tag),
        saved.as_deref(),
        accept.as_deref(),
        default,
    );
    req.extensions_mut().insert(locale);
    let site_name: Arc<str> = Arc::from(branding.name.as_str());
    let mut res = i18n::scope(locale, site_name, next.call(req)).await?;
    if let Some(asked) = from_query {
        let cookie = Cookie::build(UI_LOCALE_COOKIE, asked.tag())
            .path("/")
            .http_only(true)
            .secure(state.settings.public_url().starts_with("https://"))
            .same_site(SameSite::Lax)
            .max_age(Duration::minutes(UI_LOCALE_MINUTES))
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

#[derive(serde::Deserialize)]
struct UiLocales {
    ui_locales: Option<String>,
}

/// The signed-in person's chosen language, if the request belongs to a session.
async fn saved_preference(state: &AppState, req: &ServiceRequest) -> Option<String> {
    let path = req.path();
    if path.starts_with("/api/") || renders_no_page(path) {
        return None;
    }
    let cookie = req.cookie(&state.settings.session.cookie_name)?;
    match crate::auth::sessions::resolve(state, cookie.value()).await {
        Ok(found) => found.and_then(|(_, user)| user.locale),
        Err(error) => {
            tracing::warn!(%error, "language preference lookup failed");
            None
        }
    }
}
