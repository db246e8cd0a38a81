//! Protocol endpoints (thin): logic lives in `crate::oidc`.
pub mod authorize;
pub mod device_authorization;
pub mod end_session;
pub mod token;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

use crate::oidc::authorize::RawParams;
use crate::oidc::clients::ClientCredentials;
use crate::oidc::error::OAuthError;
use crate::state::AppState;
use crate::web::respond;

pub async fn openid_configuration(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond::published(
        &req,
        &state.discovery,
        state.settings.keys.jwks_max_age_secs,
    )
}

pub async fn jwks(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond::published(
        &req,
        &state.keys.jwks(),
        state.settings.keys.jwks_max_age_secs,
    )
}

/// A form body as ordered pairs.
pub fn parse_params(body: &[u8]) -> Result<RawParams, OAuthError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| OAuthError::invalid_request("the request body is not a valid form"))
}

/// RFC 6749 §3.2: parameters must not repeat.
pub fn unique(params: RawParams) -> Result<std::collections::HashMap<String, String>, OAuthError> {
    let mut map = std::collections::HashMap::with_capacity(params.len());
    for (name, value) in params {
        if map.insert(name.clone(), value).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "{name} was sent more than once"
            )));
        }
    }
    Ok(map)
}

/// `client_secret_basic` (credentials form-urlencoded inside Basic, RFC 6749 §2.3.1),
/// `client_secret_post`, or `none` (public clients send only `client_id`). Mixing is refused.
pub fn client_credentials(
    req: &HttpRequest,
    params: &mut std::collections::HashMap<String, String>,
) -> Result<ClientCredentials, OAuthError> {
    let body_id = params.remove("client_id");
    let body_secret = params.remove("client_secret");
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        });
    if let Some(encoded) = basic {
        let malformed = || OAuthError {
            basic_auth: true,
            ..OAuthError::invalid_client()
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        let (id, secret) = (
            decode(id).ok_or_else(malformed)?,
            decode(secret).ok_or_else(malformed)?,
        );
        if body_secret.is_some() || body_id.as_deref().is_some_and(|b| b != id) {
            return Err(OAuthError::invalid_request(
                "use one client authentication method",
            ));
        }
        return Ok(ClientCredentials {
            client_id: id,
            secret: Some(secret),
            basic: true,
        });
    }
    match body_id {
        Some(client_id) if !client_id.is_empty() => Ok(ClientCredentials {
            client_id,
            secret: body_secret,
            basic: false,
        }),
        _ => Err(OAuthError::invalid_client()),
    }
}

/// `Authorization: Bearer …` (RFC 6750 §2.1).
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}
