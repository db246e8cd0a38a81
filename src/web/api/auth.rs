use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Email, NewPassword};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::Meta;
use crate::web::pages::MessagePage;
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
    crate::auth::email_verification::verify(&state, &query.token, &meta).await?;
    let page = MessagePage {
        title: "Email verified",
        message: "Your email address is verified. You can sign in now.",
        link_href: "/login",
        link_label: "Sign in",
    };
    respond::ok_page(&page)
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
