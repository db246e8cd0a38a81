//! The only module tree that knows actix-web. `routes` is the complete route table.
pub mod api;
pub mod assets;
pub mod branding;
pub mod csrf;
pub mod errors;
pub mod extract;
pub mod health;
pub mod locale;
pub mod middleware;
pub mod oidc;
pub mod pages;
pub mod refusals;
pub mod respond;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::web::errors::PageError;

/// `federation`: the federation cookie's key, prepared once (see `pages::providers`).
pub fn routes(cfg: &mut web::ServiceConfig, federation: &pages::providers::SessionCookie) {
    cfg.app_data(json_config())
        .app_data(form_config())
        .app_data(query_config())
        // Hot protocol routes first: actix tries the routes in order, and relying apps and
        // load balancers call these far more often than anything else.
        .route(
            "/.well-known/openid-configuration",
            web::get().to(oidc::openid_configuration),
        )
        .route("/.well-known/jwks.json", web::get().to(oidc::jwks))
        .route("/token", web::post().to(oidc::token::token))
        .service(
            web::resource("/userinfo")
                .route(web::get().to(oidc::token::userinfo))
                .route(web::post().to(oidc::token::userinfo)),
        )
        .route("/introspect", web::post().to(oidc::token::introspect))
        .route("/revoke", web::post().to(oidc::token::revoke))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/static/gatehouse.css", web::get().to(assets::stylesheet))
        .route(
            "/static/form_post.js",
            web::get().to(assets::form_post_script),
        )
        .route(
            "/static/js/passkey.js",
            web::get().to(assets::passkey_script),
        )
        .route(
            "/static/js/enhance.js",
            web::get().to(assets::enhance_script),
        )
        .configure(pages::admin::routes)
        .route("/favicon.ico", web::get().to(branding::favicon))
        .route("/favicon.svg", web::get().to(branding::favicon))
        .route(
            "/branding/platform/theme.css",
            web::get().to(branding::platform_theme),
        )
        .route("/branding/{org_id}/logo", web::get().to(branding::logo))
        .route(
            "/branding/{org_id}/theme.css",
            web::get().to(branding::org_theme),
        )
        // OIDC / OAuth 2
        .service(
            web::resource("/authorize")
                .route(web::get().to(oidc::authorize::authorize))
                .route(web::post().to(oidc::authorize::authorize)),
        )
        .route(
            "/authorize/continue",
            web::get().to(oidc::authorize::authorize_continue),
        )
        .route(
            "/authorize/consent",
            web::post().to(oidc::authorize::consent_submit),
        )
        .route(
            "/device_authorization",
            web::post().to(oidc::device_authorization::device_authorization),
        )
        .service(
            web::resource("/end-session")
                .route(web::get().to(oidc::end_session::end_session))
                .route(web::post().to(oidc::end_session::end_session)),
        )
        .route(
            "/end-session/confirm",
            web::post().to(oidc::end_session::end_session_confirm),
        )
        // JSON API (seed 004 paths)
        .route("/api/auth/register", web::post().to(api::auth::register))
        .route("/api/auth/login", web::post().to(api::auth::login))
        .route("/api/auth/refresh", web::post().to(api::auth::refresh))
        .route(
            "/api/auth/mfa/verify",
            web::post().to(api::auth::verify_mfa),
        )
        .route(
            "/api/auth/magic-link/request",
            web::post().to(api::auth::request_magic_link),
        )
        .route(
            "/api/auth/magic-link/verify",
            web::get().to(api::auth::verify_magic_link),
        )
        .route(
            "/auth/passkeys/register/start",
            web::post().to(api::passkeys::register_start),
        )
        .route(
            "/auth/passkeys/register/finish",
            web::post().to(api::passkeys::register_finish),
        )
        .route(
            "/auth/passkeys/authenticate/start",
            web::post().to(api::passkeys::authenticate_start),
        )
        .route(
            "/auth/passkeys/authenticate/finish",
            web::post().to(api::passkeys::authenticate_finish),
        )
        .route("/api/auth/logout", web::post().to(api::auth::logout))
        .route("/api/auth/me", web::get().to(api::auth::me))
        .route("/auth/verify-email", web::get().to(api::auth::verify_email))
        .route(
            "/api/auth/forgot-password",
            web::post().to(api::auth::forgot_password),
        )
        .route(
            "/api/auth/reset-password",
            web::post().to(api::auth::reset_password),
        )
        .route(
            "/auth/device/code",
            web::post().to(api::device::request_device_code),
        )
        .route(
            "/auth/device/verify",
            web::post().to(api::device::verify_device_code),
        )
        .route(
            "/auth/token",
            web::post().to(api::device::poll_device_token),
        )
        // Hosted pages
        .route("/", web::get().to(home))
        .service(
            web::resource("/login")
                .route(web::get().to(pages::login::login_page))
                .route(web::post().to(pages::login::login_submit)),
        )
        .service(
            web::resource("/setup")
                .route(web::get().to(pages::setup::setup_page))
                .route(web::post().to(pages::setup::setup_submit)),
        )
        .service(
            web::resource("/register")
                .route(web::get().to(pages::register::register_page))
                .route(web::post().to(pages::register::register_submit)),
        )
        .service(
            web::resource("/verify-email")
                .route(web::get().to(pages::verify_email::verify_email_page))
                .route(web::post().to(pages::verify_email::verify_email_submit)),
        )
        .route(
            "/verify-email/resend",
            web::post().to(pages::verify_email::resend_submit),
        )
        .service(
            web::resource("/forgot-password")
                .route(web::get().to(pages::password_reset::forgot_password_page))
                .route(web::post().to(pages::password_reset::forgot_password_submit)),
        )
        .service(
            web::resource("/reset-password")
                .route(web::get().to(pages::password_reset::reset_password_page))
                .route(web::post().to(pages::password_reset::reset_password_submit)),
        )
        .service(
            web::resource("/device")
                .route(web::get().to(pages::device::device_page))
                .route(web::post().to(pages::device::device_submit)),
        )
        .route(
            "/device/confirm",
            web::post().to(pages::device::confirm_submit),
        )
        .service(
            web::resource("/logout")
                .route(web::get().to(pages::logout::logout_page))
                .route(web::post().to(pages::logout::logout_submit)),
        )
        .service(
            web::resource("/login/mfa")
                .route(web::get().to(pages::mfa::mfa_page))
                .route(web::post().to(pages::mfa::mfa_submit)),
        )
        .service(
            web::resource("/login/code")
                .route(web::get().to(pages::mfa::code_page))
                .route(web::post().to(pages::mfa::code_submit)),
        )
        .service(
            web::resource("/login/mfa/enrol")
                .route(web::get().to(pages::mfa::enrol_page))
                .route(web::post().to(pages::mfa::enrol_submit)),
        )
        .service(
            web::resource("/magic-link")
                .route(web::get().to(pages::magic_link::magic_link_page))
                .route(web::post().to(pages::magic_link::magic_link_submit)),
        )
        .service(
            web::resource("/magic-link/verify")
                .route(web::get().to(pages::magic_link::verify_page))
                .route(web::post().to(pages::magic_link::verify_submit)),
        )
        .route(
            "/account/security",
            web::get().to(pages::security::security_get),
        )
        .route(
            "/account/security/totp",
            web::post().to(pages::security::totp_start),
        )
        .route(
            "/account/security/totp/confirm",
            web::post().to(pages::security::totp_confirm),
        )
        .route(
            "/account/security/totp/disable",
            web::post().to(pages::security::totp_disable),
        )
        .route(
            "/account/security/backup-codes",
            web::post().to(pages::security::backup_codes_regenerate),
        )
        .route(
            "/login/passkey",
            web::post().to(pages::passkeys::sign_in_submit),
        )
        .route(
            "/login/passkey/options",
            web::post().to(pages::passkeys::sign_in_options),
        )
        .route(
            "/account/security/passkeys/options",
            web::post().to(pages::passkeys::register_options),
        )
        .route(
            "/account/security/passkeys",
            web::post().to(pages::passkeys::register_submit),
        )
        .route(
            "/account/security/passkeys/{id}/rename",
            web::post().to(pages::passkeys::rename_submit),
        )
        .route(
            "/account/security/passkeys/{id}/delete",
            web::post().to(pages::passkeys::delete_submit),
        )
        .route("/account", web::get().to(pages::account::account_page))
        .route(
            "/account/language",
            web::post().to(pages::account::language_submit),
        )
        .route(
            "/account/sessions/end",
            web::post().to(pages::account::end_sessions_submit),
        )
        .service(
            web::resource("/account/password")
                .route(web::get().to(pages::account::change_password_page))
                .route(web::post().to(pages::account::change_password_submit)),
        )
        .route(
            "/account/consents/revoke",
            web::post().to(pages::account::revoke_consent_submit),
        )
        .route(
            "/account/devices",
            web::get().to(pages::trusted_devices::devices_page),
        )
        .route(
            "/account/devices/{id}/revoke",
            web::post().to(pages::trusted_devices::revoke_submit),
        )
        // Admin REST API (issue 15): its own scope, OpenAPI document and JSON config.
        .configure(api::admin::routes)
        // Federation (issue 14): after every fixed `/auth/…` path above.
        .configure(|cfg| pages::providers::routes(cfg, federation))
        .default_service(web::to(not_found));
}

async fn home() -> HttpResponse {
    respond::see_other("/account")
}

/// JSON for API paths, a page elsewhere.
async fn not_found(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    if wants_json(&req) {
        Err(AppError::not_found().into())
    } else {
        Err(PageError(AppError::not_found()).into())
    }
}

fn wants_json(req: &HttpRequest) -> bool {
    let path = req.path();
    path.starts_with("/api/")
        || path.starts_with("/auth/")
        || path.starts_with("/.well-known/")
        || matches!(
            path,
            "/token" | "/userinfo" | "/revoke" | "/introspect" | "/device_authorization"
        )
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| AppError::invalid(format!("Invalid request body: {err}")).into())
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(64 * 1024)
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req| {
        let error = AppError::invalid(format!("Invalid query string: {err}"));
        if wants_json(req) {
            error.into()
        } else {
            PageError(error).into()
        }
    })
}
