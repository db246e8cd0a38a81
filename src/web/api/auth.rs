use actix_web::{HttpRequest, HttpResponse, web};

use super::client_auth;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Email, NewPassword};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations::SignUpPolicy;
use crate::web::extract::{BearerUser, Meta};
use crate::web::respond;

#[derive(Deserialize)]
pub struct RegisterRequest {
    email: String,
    password: String,
    /// Accepted for compatibility; org-specific mail settings come later.
    #[allow(dead_code)]
    org_slug: Option<String>,
}

/// `POST /api/auth/register`
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let email = Email::parse(&body.email).map_err(AppError::invalid)?;
    let password = NewPassword::parse(body.password).map_err(AppError::invalid)?;
    match crate::auth::registration::register(&state, &email, password, &meta).await? {
        crate::auth::registration::Registration::Created => Ok(HttpResponse::Ok().json(json!({
            "message": "Registration successful. Please check your email to verify your account."
        }))),
        // Seed 004 answers 400 here; the owner of the address is also told by mail.
        crate::auth::registration::Registration::AlreadyExists => {
            Err(AppError::invalid("User with this email already exists"))
        }
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /auth/verify-email?token=`: an HTML confirmation, or the JSON error envelope.
pub async fn verify_email(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    use crate::auth::email_verification::{PasswordProof, Verification};
    // A consuming GET cannot ask anything: a contested sign-up keeps no password.
    let proof = PasswordProof::Unavailable;
    match crate::auth::email_verification::verify(&state, &query.token, proof, &meta).await? {
        Verification::Verified(verified) => {
            crate::web::pages::verify_email::verified_page(&verified)
        }
        Verification::PasswordNeeded => Err(AppError::Unexpected(anyhow::anyhow!(
            "a consuming verification cannot ask for a password"
        ))),
    }
}

#[derive(Deserialize)]
pub struct ForgotPasswordRequest {
    email: String,
    #[allow(dead_code)]
    org_slug: Option<String>,
}

/// `POST /api/auth/forgot-password`: always the same answer.
pub async fn forgot_password(
    state: web::Data<AppState>,
    body: web::Json<ForgotPasswordRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    if let Ok(email) = Email::parse(&body.email) {
        crate::auth::password_reset::request(&state, &email, &meta).await?;
    }
    Ok(HttpResponse::Ok().json(json!({
        "message": "If an account with that email exists, a password reset link has been sent."
    })))
}

#[derive(Deserialize)]
pub struct ResetPasswordRequest {
    token: String,
    new_password: String,
}

/// `POST /api/auth/reset-password`
pub async fn reset_password(
    state: web::Data<AppState>,
    body: web::Json<ResetPasswordRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let password = NewPassword::parse(body.new_password).map_err(AppError::invalid)?;
    crate::auth::password_reset::reset(&state, &body.token, password, &meta).await?;
    Ok(HttpResponse::Ok().json(json!({
        "message": "Password has been reset successfully. Please log in with your new password."
    })))
}

#[derive(Deserialize)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// A first-party service; the deployment's built-in one when absent (or HTTP Basic).
    client_id: Option<String>,
    /// A confidential service's secret (or HTTP Basic).
    client_secret: Option<String>,
}

/// `POST /api/auth/login`
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let client = client_auth::credentials(&req, body.client_id, body.client_secret)?;
    let password = secrecy::SecretString::from(body.password);
    match crate::auth::first_party::login(&state, &body.email, password, client, &meta).await? {
        crate::auth::first_party::LoginOutcome::Tokens(done) => {
            Ok(signed_in(&state, done.device_token).json(done.tokens))
        }
        // Shape of seed 004: the pre-auth JWT in `access_token`, with its lifetime;
        // `mfa_method` says where the code comes from (authenticator app or email).
        crate::auth::first_party::LoginOutcome::MfaRequired {
            preauth_token,
            method,
        } => Ok(no_store(HttpResponse::Ok()).json(json!({
            "access_token": preauth_token,
            "refresh_token": "",
            "expires_in": crate::auth::preauth::PREAUTH_MINUTES * 60,
            "mfa_required": true,
            "mfa_method": method,
        }))),
    }
}

#[derive(Deserialize)]
pub struct VerifyMfaRequest {
    preauth_token: String,
    code: String,
    /// A confidential service authenticates again (or with HTTP Basic).
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `POST /api/auth/mfa/verify`
pub async fn verify_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<VerifyMfaRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let client = client_auth::credentials(&req, body.client_id, body.client_secret)?;
    let done = crate::auth::first_party::verify_mfa(
        &state,
        &body.preauth_token,
        &body.code,
        client,
        &meta,
    )
    .await?;
    Ok(signed_in(&state, done.device_token).json(done.tokens))
}

#[derive(Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// `POST /api/auth/refresh`
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let tokens = crate::oidc::first_party::refresh(&state, &body.refresh_token, &meta).await?;
    Ok(no_store(HttpResponse::Ok()).json(tokens))
}

/// `POST /api/auth/logout`: 204
pub async fn logout(
    state: web::Data<AppState>,
    BearerUser(claims, _): BearerUser,
) -> Result<HttpResponse, AppError> {
    crate::oidc::first_party::logout(&state, &claims).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/auth/me`
pub async fn me(BearerUser(_, user): BearerUser) -> HttpResponse {
    no_store(HttpResponse::Ok()).json(json!({
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "last_login_method": user.last_login_method,
        "created_at": user.created_at,
    }))
}

/// A 200 that completes a sign-in: no-store, and the trusted-device cookie of seed 004.
pub(super) fn signed_in(state: &AppState, device_token: String) -> actix_web::HttpResponseBuilder {
    let mut builder = no_store(HttpResponse::Ok());
    builder.cookie(respond::device_cookie(state, device_token));
    builder
}

pub(super) fn no_store(
    mut builder: actix_web::HttpResponseBuilder,
) -> actix_web::HttpResponseBuilder {
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    builder
}

#[derive(Deserialize)]
pub struct MagicLinkRequest {
    email: String,
    org_slug: Option<String>,
}

/// `POST /api/auth/magic-link/request`: 400 only for a malformed email; the same answer whether
/// or not the address has an account.
pub async fn request_magic_link(
    state: web::Data<AppState>,
    body: web::Json<MagicLinkRequest>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let email = Email::parse(&body.email).map_err(|_| AppError::invalid("Invalid email format"))?;
    let org = match &body.org_slug {
        Some(slug) => crate::store::organizations::find_by_slug(&state.db, slug).await?,
        None => None,
    };
    let brand = match &org {
        Some(o) => crate::branding::Brand::of_org(&state, o.id, &o.name).await,
        None => crate::branding::Brand::platform(&state),
    };
    let sign_up_open = org
        .as_ref()
        .is_none_or(|o| o.sign_up_policy != SignUpPolicy::InviteOnly);
    let context = org.map_or_else(|| state.settings.branding.name.clone(), |o| o.name);
    let brand = Some(&brand);
    crate::auth::magic_link::request(&state, &email, None, &context, brand, sign_up_open, &meta)
        .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "message": "If the email exists, a magic link has been sent." })))
}

/// `GET /api/auth/magic-link/verify?token=`: tokens, or the MFA-required shape of seed 004.
pub async fn verify_magic_link(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    match crate::auth::first_party::redeem_magic_link(&state, &query.token, &meta).await? {
        crate::auth::first_party::LoginOutcome::Tokens(done) => {
            Ok(signed_in(&state, done.device_token).json(done.tokens))
        }
        crate::auth::first_party::LoginOutcome::MfaRequired { preauth_token, .. } => {
            Ok(no_store(HttpResponse::Ok()).json(json!({
                "requires_mfa": true,
                "preauth_token": preauth_token,
                "message": "Additional verification required",
            })))
        }
    }
}
