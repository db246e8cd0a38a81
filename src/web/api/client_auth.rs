//! Client authentication on the JSON sign-in API: the token endpoint's parser, JSON errors.
use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::{AppError, ErrorCode};
use crate::oidc::clients::ClientCredentials;
use crate::oidc::error::OAuthErrorCode;

/// The service a JSON request names, with its secret: HTTP Basic (RFC 6749 §2.3.1) or
/// `client_id` and `client_secret` in the body, never both. `None` when it names none (the
/// built-in service).
pub fn credentials(
    req: &HttpRequest,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<Option<ClientCredentials>, AppError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("basic ")));
    if !basic && client_id.is_none() {
        return match client_secret {
            Some(_) => Err(AppError::invalid(
                "client_secret was sent without client_id",
            )),
            None => Ok(None),
        };
    }
    let mut params = std::collections::HashMap::new();
    if let Some(id) = client_id {
        params.insert("client_id".to_owned(), id);
    }
    if let Some(secret) = client_secret {
        params.insert("client_secret".to_owned(), secret);
    }
    crate::web::oidc::client_credentials(req, &mut params)
        .map(Some)
        .map_err(|e| match e.code {
            OAuthErrorCode::InvalidRequest => AppError::invalid(e.description.into_owned()),
            _ => AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: "Invalid client credentials".into(),
            },
        })
}
