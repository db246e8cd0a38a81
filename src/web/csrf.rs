//! CSRF protection for every hosted form: a double-submit token (an HttpOnly, SameSite=Strict
//! cookie echoed in a hidden field, compared in constant time) plus refusal of cross-site
//! requests announced by `Sec-Fetch-Site`.
use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, body::MessageBody, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{AppError, ErrorCode};
use crate::keys::{constant_time_eq, random_token};
use crate::web::errors::PageError;

pub const CSRF_COOKIE: &str = "gh_csrf";

/// The token to embed in forms; a new one is issued (and its cookie set) when absent.
#[derive(Clone)]
pub struct CsrfToken(pub String);

#[derive(Clone)]
struct IssuedCsrf(String);

impl FromRequest for CsrfToken {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(issued) = req.extensions().get::<IssuedCsrf>() {
            return ready(Ok(CsrfToken(issued.0.clone())));
        }
        let token = match req.cookie(CSRF_COOKIE) {
            Some(cookie) if cookie.value().len() == 43 => cookie.value().to_owned(),
            _ => {
                let token = random_token();
                req.extensions_mut().insert(IssuedCsrf(token.clone()));
                token
            }
        };
        ready(Ok(CsrfToken(token)))
    }
}

#[derive(serde::Deserialize)]
struct Protected<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    inner: T,
}

/// A form whose CSRF token has been checked; rejected with 403 otherwise.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let form = web::Form::<Protected<T>>::from_request(&req, payload);
        Box::pin(async move {
            let form = form.await.map_err(|_| {
                PageError(AppError::invalid(
                    "The form could not be read. Go back and try again.",
                ))
            })?;
            check(&req, &form.csrf_token)?;
            Ok(CsrfForm(form.into_inner().inner))
        })
    }
}

/// Checks a submitted token against the cookie (constant time) and refuses cross-site
/// requests: for forms read otherwise than by [`CsrfForm`] (a `multipart/form-data` upload).
pub fn check(req: &HttpRequest, submitted: &str) -> Result<(), PageError> {
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    match req.cookie(CSRF_COOKIE) {
        Some(cookie)
            if !cross_site
                && cookie.value().len() == 43
                && constant_time_eq(cookie.value(), submitted) =>
        {
            Ok(())
        }
        _ => Err(PageError(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "This form expired or did not come from this site. Go back, reload the page and try again.".into(),
        })),
    }
}

/// Sets the CSRF cookie when a handler issued a new token.
pub async fn set_csrf_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req
        .app_data::<web::Data<crate::state::AppState>>()
        .is_some_and(|state| state.settings.is_https());
    let mut response = next.call(req).await?;
    let issued = response.request().extensions().get::<IssuedCsrf>().cloned();
    if let Some(IssuedCsrf(token)) = issued {
        let cookie = Cookie::build(CSRF_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .finish();
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}
