//! The passkey ceremony endpoints of seed 004 (`/auth/passkeys/…`).
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::auth::first_party::{self, LoginOutcome};
use crate::auth::passkeys::{self, UnknownEmail};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::BearerUser;
use crate::web::extract::Meta;

#[derive(Deserialize)]
pub struct RegisterStartRequest {
    #[serde(default)]
    name: Option<String>,
}

/// `POST /auth/passkeys/register/start` (Bearer)
pub async fn register_start(
    state: web::Data<AppState>,
    BearerUser(claims, user): BearerUser,
    body: web::Json<RegisterStartRequest>,
) -> Result<HttpResponse, AppError> {
    first_party::require_recent_sign_in(&claims)?;
    let name = body.name.as_deref().unwrap_or("Passkey");
    let (challenge_id, options) = passkeys::start_registration(&state, &user, name).await?;
    Ok(no_store().json(json!({ "challenge_id": challenge_id, "options": options })))
}

#[derive(Deserialize)]
pub struct RegisterFinishRequest {
    challenge_id: String,
    credential: RegisterPublicKeyCredential,
}

/// `POST /auth/passkeys/register/finish` (Bearer)
pub async fn register_finish(
    state: web::Data<AppState>,
    BearerUser(claims, user): BearerUser,
    body: web::Json<RegisterFinishRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    first_party::require_recent_sign_in(&claims)?;
    let passkey =
        passkeys::finish_registration(&state, &user, &body.challenge_id, &body.credential, &meta)
            .await?;
    Ok(no_store().json(json!({ "success": true, "passkey_id": passkey.id })))
}

#[derive(Deserialize)]
pub struct AuthenticateStartRequest {
    /// Email-first; without it the ceremony is discoverable (the authenticator picks the account).
    #[serde(default)]
    email: Option<String>,
}

/// `POST /auth/passkeys/authenticate/start`
pub async fn authenticate_start(
    state: web::Data<AppState>,
    body: web::Json<AuthenticateStartRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let (challenge_id, options) =
        passkeys::start_authentication(&state, body.email.as_deref(), UnknownEmail::Refuse, &meta)
            .await?;
    Ok(no_store().json(json!({ "challenge_id": challenge_id, "options": options })))
}

#[derive(Deserialize)]
pub struct AuthenticateFinishRequest {
    challenge_id: String,
    credential: PublicKeyCredential,
    /// A first-party service; the deployment's built-in one when absent (or HTTP Basic).
    client_id: Option<String>,
    /// A confidential service's secret (or HTTP Basic).
    client_secret: Option<String>,
}

/// `POST /auth/passkeys/authenticate/finish`: the first-party tokens, with `token` (the access
/// token) and `user_id` as in seed 004.
pub async fn authenticate_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<AuthenticateFinishRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let credentials = super::client_auth::credentials(&req, body.client_id, body.client_secret)?;
    // Before the ceremony is used up: a refused service changes nothing.
    let client = crate::auth::api_client::authorize(
        &state,
        credentials,
        crate::auth::api_client::Method::Passkey,
    )
    .await?;
    let user = passkeys::finish_authentication(&state, &body.challenge_id, &body.credential, &meta)
        .await?;
    // No second step here (seed 004): a risky passkey sign-in is refused with a 403.
    let step_up = crate::auth::mfa::StepUp::Refuse;
    match first_party::complete_sign_in(&state, &client, &user, passkeys::amr(), &meta, step_up)
        .await?
    {
        LoginOutcome::Tokens(done) => {
            let tokens = done.tokens;
            Ok(
                super::auth::signed_in(&state, done.device_token.clone()).json(json!({
                    "token": tokens.access_token,
                    "user_id": user.id,
                    "device_trust_token": done.device_token,
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "token_type": tokens.token_type,
                    "expires_in": tokens.expires_in,
                    "last_login_method": tokens.last_login_method,
                })),
            )
        }
        // A passkey with user verification is already multi-factor, and a risky one is refused.
        LoginOutcome::MfaRequired { .. } => Err(AppError::Unexpected(anyhow::anyhow!(
            "passkey sign-in asked for a second factor"
        ))),
    }
}

fn no_store() -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    builder
}
