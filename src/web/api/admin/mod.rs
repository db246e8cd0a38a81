//! The admin REST API under `/api/admin` (issue 15): thin handlers over `crate::admin`, JSON in
//! and out, errors in the seed-004 envelope, an OpenAPI 3.1 document generated from the
//! handlers at `GET /api/admin/openapi.json`.
//!
//! To add a route: write the handler with `#[utoipa::path(...)]` over an actix method macro
//! (`#[get("/…")]`), and add it with `.service(handler)` in `scope()` below: the route and its
//! OpenAPI entry come from that one call.
use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::AppError;

pub mod audit;
pub mod auth;
pub mod keys;
pub mod members;
pub mod orgs;
pub mod providers;
pub mod roles;
pub mod services;
pub mod tokens;
pub mod users;

pub use auth::AdminCaller;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse admin API",
        description = "Organizations, services, users and members of a Gatehouse identity provider. Errors are `{\"error\",\"error_code\",\"timestamp\"}`.",
    ),
    modifiers(&Security),
    security(("bearer" = []), ("api_key" = [])),
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An admin session JWT, a service token or the bootstrap token",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The `/api/admin` scope: every admin route, each registered with its OpenAPI entry.
fn scope() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/admin")
        .wrap(actix_web::middleware::from_fn(auth::audit_refusals))
        .app_data(json_config())
        .app_data(path_config())
        .service(orgs::list)
        .service(orgs::create)
        .service(orgs::get)
        .service(orgs::update)
        .service(services::list)
        .service(services::create)
        .service(services::get)
        .service(services::update)
        .service(services::rotate_secret)
        .service(services::remove)
        .service(users::list)
        .service(users::get)
        .service(users::disable)
        .service(users::enable)
        .service(users::reset_mfa)
        .service(users::revoke_sessions)
        .service(users::resend_verification)
        .service(members::list)
        .service(members::add)
        .service(members::set_roles)
        .service(members::remove)
        .service(roles::set_plan)
        .service(roles::list_roles)
        .service(roles::define_role)
        .service(roles::delete_role)
        .service(providers::list)
        .service(providers::set)
        .service(providers::remove)
        .service(keys::list)
        .service(keys::rotate)
        .service(keys::retire)
        .service(audit::list)
        .service(tokens::list)
        .service(tokens::create)
        .service(tokens::show)
        .service(tokens::rotate)
        .service(tokens::revoke)
}

/// The OpenAPI document of the admin API, built from the same `scope()` the server mounts.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::OpenApiFactory;
    let scope = scope();
    let mut doc = ApiDoc::openapi();
    doc.paths.paths.extend(scope.paths().paths);
    let mut schemas = Vec::new();
    scope.schemas(&mut schemas);
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    // The scope's own prefix is part of each path already; the document describes the
    // server root.
    doc.servers = None;
    doc.paths.paths.insert(
        "/api/admin/openapi.json".to_owned(),
        utoipa::openapi::PathItem::new(
            utoipa::openapi::HttpMethod::Get,
            utoipa::openapi::path::OperationBuilder::new()
                .summary(Some("This OpenAPI 3.1 document"))
                .operation_id(Some("openapi"))
                .security(utoipa::openapi::security::SecurityRequirement::default())
                .response("200", utoipa::openapi::Response::new("The document")),
        ),
    );
    doc
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/admin/openapi.json").route(web::get().to(openapi_json)))
        .service(scope());
}

/// The document is the same for the process's life (it is generated from the code), built on
/// its first request: generating it runs a lot of code a serving instance otherwise never
/// needs, which would stay resident from startup on.
static OPENAPI_JSON: std::sync::LazyLock<actix_web::web::Bytes> = std::sync::LazyLock::new(|| {
    serde_json::to_vec_pretty(&openapi())
        .unwrap_or_else(|_| b"{}".to_vec())
        .into()
});

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI_JSON.clone())
}

/// Bodies are JSON of at most 64 KiB; unknown fields (every input denies them), malformed JSON
/// and a wrong content type are a 400 in the JSON envelope.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| AppError::invalid(format!("Invalid request body: {err}")).into())
}

/// A malformed path segment (e.g. a user id that is not a UUID) is a 400, not a bare 404.
fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _| AppError::invalid(format!("Invalid path: {err}")).into())
}

/// The error envelope of every admin route (seed 004).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ApiError {
    /// A human-readable message.
    error: String,
    /// BAD_REQUEST, UNAUTHORIZED, TOKEN_EXPIRED, JWT_ERROR, FORBIDDEN, NOT_FOUND, CONFLICT,
    /// RATE_LIMIT_EXCEEDED, INTERNAL_SERVER_ERROR.
    error_code: String,
    /// RFC 3339.
    timestamp: String,
}
