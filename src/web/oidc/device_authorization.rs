//! `POST /device_authorization` (RFC 8628 §3.1-3.2).
use actix_web::{HttpRequest, HttpResponse, web};

use super::token::no_store_json;
use super::{client_credentials, parse_params, unique};
use crate::oidc::device;
use crate::oidc::error::OAuthError;
use crate::state::AppState;
use crate::web::extract::Meta;

/// Client authentication as at the token endpoint; public clients send `client_id` alone.
pub async fn device_authorization(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    Meta(meta): Meta,
) -> Result<HttpResponse, OAuthError> {
    let mut params = unique(parse_params(&body)?)?;
    let credentials = client_credentials(&req, &mut params)?;
    let scope = params.remove("scope");
    let response = device::authorize(&state, credentials, scope.as_deref(), &meta).await?;
    Ok(no_store_json(&response))
}
