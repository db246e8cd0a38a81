//! Typed inputs pulled out of requests before any core call.
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::browser_sessions::BrowserSession;
use crate::store::users::User;
use crate::web::errors::PageError;

/// The client IP comes from [`client_ip`]; the user agent is cut to 512 characters; the
/// `device_token` cookie is passed on unchecked (the core checks it against the user).
pub struct Meta(pub RequestMeta);

impl FromRequest for Meta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect());
        // Only a value that could be one of ours; anything else is as good as no cookie.
        let device_token = req
            .cookie(crate::auth::devices::COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() == 43)
            .map(crate::domain::DeviceToken);
        ready(Ok(Meta(RequestMeta {
            ip: client_ip(req),
            user_agent,
            device_token,
        })))
    }
}

/// The one place that decides who the client is: the TCP peer, or, when the peer is a trusted
/// proxy (`server.trusted_proxies`), the right-most untrusted hop of the header the proxies
/// write (`server.proxy_header`). Everything that needs the client address goes through here.
pub fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr().map(|addr| addr.ip());
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer;
    };
    if state.proxies.is_empty() {
        return peer;
    }
    // A line that is not text counts as an unknown hop, which ends the walk at its proxy.
    let lines: Vec<&str> = req
        .headers()
        .get_all(state.proxies.header().name())
        .map(|v| v.to_str().unwrap_or("unknown"))
        .collect();
    state.proxies.client_ip(peer, &lines)
}

pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("AppState missing")))
}

/// The browser session, when the request carries a live one.
pub struct MaybeUser(pub Option<SignedIn>);

pub struct SignedIn {
    pub session: BrowserSession,
    pub user: User,
}

impl FromRequest for MaybeUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(session_of(&req).await?)) })
    }
}

async fn session_of(req: &HttpRequest) -> Result<Option<SignedIn>, AppError> {
    let state = app_state(req)?;
    let Some(cookie) = req.cookie(&state.settings.session.cookie_name) else {
        return Ok(None);
    };
    let found = crate::auth::sessions::resolve(&state, cookie.value()).await?;
    Ok(found.map(|(session, user)| SignedIn { session, user }))
}

/// Why a page that needs a signed-in person did not get one: where to sign in first, or a
/// failure while looking the session up.
pub enum SignInRequired {
    Redirect(String),
    Failed(PageError),
}

impl From<AppError> for SignInRequired {
    fn from(e: AppError) -> Self {
        Self::Failed(PageError(e))
    }
}

/// Where a person sent to sign in comes back to: the page the request belongs to (a form's
/// POST returns to its page, not to the form's action).
fn return_page(path: &str) -> &str {
    const PAGES: [&str; 2] = ["/account/security", "/account"];
    PAGES
        .into_iter()
        .find(|page| path.starts_with(page))
        .unwrap_or(path)
}

/// A page for signed-in people only: anyone else is sent to sign in and back.
impl FromRequest for SignedIn {
    type Error = SignInRequired;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            session_of(&req).await?.ok_or_else(|| {
                SignInRequired::Redirect(format!("/login?next={}", return_page(req.path())))
            })
        })
    }
}

/// A change to how the account signs in: the person must have signed in within the last
/// `auth::sessions::REAUTH_MINUTES`, or is sent to sign in again first, so a borrowed session
/// cannot plant a lasting way in.
pub struct RecentlySignedIn(pub SignedIn);

impl FromRequest for RecentlySignedIn {
    type Error = SignInRequired;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let page = return_page(req.path()).to_owned();
        Box::pin(async move {
            let signed_in = signed_in.await?;
            if !crate::auth::sessions::signed_in_recently(signed_in.session.auth_time) {
                return Err(SignInRequired::Redirect(format!(
                    "/login?again=1&next={page}"
                )));
            }
            Ok(RecentlySignedIn(signed_in))
        })
    }
}

/// A user's access token from `Authorization: Bearer`, issued to a first-party service; 401
/// (or 403 for a third-party app's token) with the JSON envelope otherwise.
pub struct BearerUser(
    pub crate::oidc::tokens::AccessClaims,
    pub crate::store::users::User,
);

impl actix_web::FromRequest for BearerUser {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = crate::web::extract::app_state(&req)?;
            let token = crate::web::oidc::bearer(&req).ok_or_else(|| AppError::Unauthorized {
                code: crate::error::ErrorCode::Unauthorized,
                message: "Missing or invalid Authorization header".into(),
            })?;
            let (claims, user) =
                crate::auth::first_party::authenticate_bearer(&state, &token).await?;
            Ok(BearerUser(claims, user))
        })
    }
}

/// A client-authenticated form POST (token, revocation and introspection endpoints): the
/// parameters, each at most once (RFC 6749 §3.2), with the client's credentials taken out of
/// the body or the Basic header (`oidc::client_credentials`).
pub struct ClientAuthForm {
    pub credentials: crate::oidc::clients::ClientCredentials,
    pub params: std::collections::HashMap<String, String>,
}

impl ClientAuthForm {
    /// Takes a parameter the endpoint cannot do without (`invalid_request` when absent).
    pub fn require(&mut self, name: &str) -> Result<String, crate::oidc::error::OAuthError> {
        self.params.remove(name).ok_or_else(|| {
            crate::oidc::error::OAuthError::invalid_request(format!("{name} is required"))
        })
    }
}

impl FromRequest for ClientAuthForm {
    /// An unreadable body fails as the `Bytes` extractor does; the rest are OAuth errors.
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await?;
            let parsed = super::oidc::parse_params(&body)
                .and_then(super::oidc::unique)
                .and_then(|mut params| {
                    let credentials = super::oidc::client_credentials(&req, &mut params)?;
                    Ok(ClientAuthForm {
                        credentials,
                        params,
                    })
                });
            Ok(parsed?)
        })
    }
}
