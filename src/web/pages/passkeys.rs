//! Passkeys in the hosted pages: sign-in on `/login`, add / rename / delete on
//! `/account/security`. `static/js/passkey.js` runs the browser side of each ceremony and posts
//! its result in an ordinary CSRF-protected form.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::security::security_page;
use crate::auth::passkeys;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta, RecentlySignedIn, SignedIn};
use crate::web::respond;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    challenge_id: String,
    #[serde(default)]
    credential: String,
    next: Option<String>,
}

/// `POST /login/passkey`: the authenticator's answer to a sign-in ceremony.
pub async fn sign_in_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SignInForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(form.next.as_deref());
    let context = crate::oidc::sign_in_context::for_next(&state, next, false, &meta).await;
    let fail = |status, message: String| {
        crate::web::pages::login::login_error_page(
            &state,
            &csrf.0,
            next,
            context.clone(),
            status,
            message,
        )
    };
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(&form.credential) else {
        return Ok(fail(
            StatusCode::BAD_REQUEST,
            crate::i18n::t("msg-passkey-needs-javascript"),
        )?);
    };
    match passkeys::finish_authentication(&state, &form.challenge_id, &credential, &meta).await {
        Ok(user) => Ok(crate::web::pages::mfa::continue_after_first_factor(
            &state,
            &user,
            passkeys::amr(),
            next,
            &meta,
        )
        .await?),
        Err(AppError::Invalid { message, .. }) => {
            Ok(fail(StatusCode::BAD_REQUEST, message.into_owned())?)
        }
        Err(AppError::Unauthorized { message, .. } | AppError::Forbidden { message, .. }) => {
            Ok(fail(StatusCode::UNAUTHORIZED, message.into_owned())?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct SignInOptionsForm {
    #[serde(default)]
    email: Option<String>,
}

/// `POST /login/passkey/options`: starts a sign-in for the login page's script (JSON).
/// Discoverable without an email; with one, the answer looks the same whether or not the
/// address has an account or passkeys (enumeration safety).
pub async fn sign_in_options(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SignInOptionsForm>,
    Meta(meta): Meta,
) -> Result<HttpResponse, AppError> {
    let (challenge_id, options) = passkeys::start_authentication(
        &state,
        form.email.as_deref(),
        passkeys::UnknownEmail::Disguise,
        &meta,
    )
    .await
    .map_err(crate::web::refusals::for_page_script)?;
    Ok(ceremony_json(challenge_id, options))
}

fn ceremony_json(challenge_id: Uuid, options: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(json!({ "challenge_id": challenge_id, "options": options }))
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// `POST /account/security/passkeys/options`: starts adding a passkey (JSON for the script).
pub async fn register_options(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
    user: MaybeUser,
) -> Result<HttpResponse, AppError> {
    // The script sends the person to sign in again on a 401.
    let Some(signed_in) = user.0 else {
        return Err(AppError::Unauthorized {
            code: crate::error::ErrorCode::Unauthorized,
            message: crate::i18n::t("refusal-session-ended").into(),
        });
    };
    if !crate::auth::sessions::signed_in_recently(signed_in.session.auth_time) {
        return Err(AppError::Unauthorized {
            code: crate::error::ErrorCode::Unauthorized,
            message: crate::i18n::t("refusal-passkey-sign-in-again").into(),
        });
    }
    let (challenge_id, options) = passkeys::start_registration(&state, &signed_in.user, &form.name)
        .await
        .map_err(crate::web::refusals::for_page_script)?;
    Ok(ceremony_json(challenge_id, options))
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    challenge_id: String,
    #[serde(default)]
    credential: String,
}

/// `POST /account/security/passkeys`: the authenticator's answer to a registration ceremony.
pub async fn register_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RegisterForm>,
    RecentlySignedIn(signed_in): RecentlySignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Ok(credential) = serde_json::from_str::<RegisterPublicKeyCredential>(&form.credential)
    else {
        return security_page(
            &state,
            &signed_in,
            &csrf.0,
            Some(crate::i18n::t("msg-passkey-add-needs-javascript")),
        )
        .await;
    };
    let result = passkeys::finish_registration(
        &state,
        &signed_in.user,
        &form.challenge_id,
        &credential,
        &meta,
    )
    .await;
    back_to_security_page(&state, &signed_in, &csrf, result.map(drop)).await
}

/// After a change: the security page again, with the reason when the change was refused.
async fn back_to_security_page(
    state: &AppState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    result: Result<(), AppError>,
) -> Result<HttpResponse, PageError> {
    match result {
        Ok(()) => Ok(respond::see_other("/account/security")),
        Err(AppError::Invalid { message, .. } | AppError::Unauthorized { message, .. }) => {
            security_page(state, signed_in, &csrf.0, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/security/passkeys/{id}/rename`
pub async fn rename_submit(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    CsrfForm(form): CsrfForm<NameForm>,
    RecentlySignedIn(signed_in): RecentlySignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let result = passkeys::rename(&state, &signed_in.user, *path, &form.name, &meta).await;
    back_to_security_page(&state, &signed_in, &csrf, result).await
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// `POST /account/security/passkeys/{id}/delete`
pub async fn delete_submit(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    RecentlySignedIn(signed_in): RecentlySignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let result = passkeys::delete(&state, &signed_in.user, *path, &meta).await;
    back_to_security_page(&state, &signed_in, &csrf, result).await
}
