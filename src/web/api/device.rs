//! The device flow's JSON API (seed 004): `/auth/device/code`, `/auth/device/verify` and
//! polling at `/auth/token`. Errors use the `{"error","error_code","timestamp"}` envelope.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::no_store;
use crate::error::AppError;
use crate::oidc::device::{self, JsonClient, JsonPoll};
use crate::state::AppState;
use crate::web::extract::Meta;

#[derive(Deserialize)]
pub struct DeviceCodeRequest {
    #[serde(default)]
    client_id: String,
    /// Needed only by confidential services.
    client_secret: Option<String>,
    #[serde(default)]
    org: String,
    #[serde(default)]
    service: String,
}

/// The client's id and secret from HTTP Basic or the body, as on the JSON sign-in API; an
/// absent client_id stays empty and gets the seed's "Invalid client_id".
fn id_and_secret(
    req: &HttpRequest,
    client_id: String,
    client_secret: Option<String>,
) -> Result<(String, Option<String>), AppError> {
    let named = Some(client_id).filter(|id| !id.is_empty());
    Ok(
        match super::client_auth::credentials(req, named, client_secret)? {
            Some(credentials) => (credentials.client_id, credentials.secret),
            None => (String::new(), None),
        },
    )
}

/// `POST /auth/device/code`
pub async fn request_device_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<DeviceCodeRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let (client_id, client_secret) = id_and_secret(&req, body.client_id, body.client_secret)?;
    let request = JsonClient {
        client_id,
        client_secret,
        org: body.org,
        service: body.service,
    };
    let authorization = device::authorize_json(&state, request, &meta).await?;
    Ok(no_store(HttpResponse::Ok()).json(authorization))
}

#[derive(Deserialize)]
pub struct VerifyRequest {
    #[serde(default)]
    user_code: String,
}

/// `POST /auth/device/verify`
pub async fn verify_device_code(
    state: web::Data<AppState>,
    body: web::Json<VerifyRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let context = device::verify_json(&state, &body.user_code, &meta).await?;
    Ok(no_store(HttpResponse::Ok()).json(context))
}

#[derive(Deserialize)]
pub struct PollRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    client_secret: Option<String>,
    #[serde(default)]
    device_code: String,
}

/// `POST /auth/token`
pub async fn poll_device_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PollRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let (client_id, client_secret) = id_and_secret(&req, body.client_id, body.client_secret)?;
    let request = JsonPoll {
        grant_type: body.grant_type,
        client_id,
        client_secret,
        device_code: body.device_code,
    };
    let tokens = device::poll_json(&state, request, &meta).await?;
    Ok(no_store(HttpResponse::Ok()).json(tokens))
}
