use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::error::AppError;
use crate::keys::PublishedDocument;
use crate::state::AppState;

/// Renders a page with `no-store` (auth pages must not be cached).
pub fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn ok_page(page: &impl Template) -> Result<HttpResponse, AppError> {
    html(StatusCode::OK, page)
}

/// 303 to a local path.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

#[derive(Template)]
#[template(path = "pages/return_to_app.html")]
struct ReturnToApp<'a> {
    location: &'a str,
}

/// Sends the browser to a URI registered by a relying app (redirect or post-logout URI, already
/// validated). http and https get `status` (302, or 303 after a POST). A private-use scheme (RFC 8252 §7.1,
/// `com.example.app:/callback`) gets a same-origin page that navigates there with a meta
/// refresh and a link: Chromium applies the submitting page's CSP `form-action` to every
/// redirect after a form POST (sign-in, consent, second factor, sign-out), and ours allows only
/// `'self' http: https:`, so a redirect chain would stop short of the app. The page ends the
/// chain; its navigation is not a form submission, and the CSP stays as strict as elsewhere.
pub fn to_client(status: StatusCode, location: &str) -> HttpResponse {
    let web_scheme = url::Url::parse(location)
        .map(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or(true);
    if web_scheme {
        return HttpResponse::build(status)
            .insert_header((header::LOCATION, location))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish();
    }
    html(StatusCode::OK, &ReturnToApp { location }).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not render the return page");
        HttpResponse::InternalServerError().finish()
    })
}

/// A JSON document prepared in memory, with ETag / If-None-Match revalidation.
pub fn published(req: &HttpRequest, doc: &PublishedDocument, max_age: u32) -> HttpResponse {
    let cache = format!("public, max-age={max_age}");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == doc.etag || tag.trim() == "*")
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, doc.etag.clone()))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if matches {
        response.finish()
    } else {
        response
            .content_type("application/json")
            .body(doc.body.clone())
    }
}

/// The session cookie: opaque id, HttpOnly, SameSite=Lax (so relying-app redirects keep it),
/// Secure when the issuer is https.
pub fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(state.settings.session.cookie_name.clone(), value)
        .path("/")
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::hours(state.settings.session.ttl_hours))
        .finish()
}

/// The trusted-device cookie of seed 004: `device_token=…; HttpOnly; Secure (https issuer);
/// SameSite=Lax; Path=/; Max-Age=7776000`.
pub fn device_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(crate::auth::devices::COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(crate::auth::devices::MAX_AGE_DAYS))
        .finish()
}

/// A redirect that completes a browser sign-in: the session and device cookies.
pub fn signed_in(
    state: &AppState,
    location: &str,
    started: crate::auth::sessions::Started,
) -> Result<HttpResponse, crate::error::AppError> {
    let mut response = see_other(location);
    add_sign_in_cookies(state, &mut response, started)?;
    Ok(response)
}

pub fn add_sign_in_cookies(
    state: &AppState,
    response: &mut HttpResponse,
    started: crate::auth::sessions::Started,
) -> Result<(), crate::error::AppError> {
    for cookie in [
        session_cookie(state, started.session),
        device_cookie(state, started.device),
    ] {
        response
            .add_cookie(&cookie)
            .map_err(|e| crate::error::AppError::Unexpected(e.into()))?;
    }
    Ok(())
}

pub fn clear_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(state, String::new());
    cookie.make_removal();
    cookie
}

/// Accepts only local paths as post-login targets (no open redirects): `/path`, never
/// `//host`, `/\host` or anything with whitespace or control characters, which browsers strip
/// (`/\t/evil.example` becomes `//evil.example`).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            path
        }
        _ => "/account",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_accepted_as_next() {
        assert_eq!(
            safe_next(Some("/authorize/continue?request=x")),
            "/authorize/continue?request=x"
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "/ /x",
            "/\n/x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/account", "{bad:?}");
        }
    }
}
