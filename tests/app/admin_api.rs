//! The admin REST API (issue 15): authentication (bootstrap token, admin session JWT), the
//! JSON envelope for bad input, rights per actor, the OpenAPI document, and each route.
use gatehouse::admin::{self, Actor};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app, spawn_app_with, unique_email};

const BOOTSTRAP: &str = "bootstrap-secret-0123456789abcdef";

async fn app_with_bootstrap(expires_at: Option<String>) -> TestApp {
    spawn_app_with(|s| {
        s.admin.bootstrap_token = Some(BOOTSTRAP.to_owned().into());
        s.admin.bootstrap_token_expires_at = expires_at;
    })
    .await
}

/// Sends `method path` with `token` as a bearer (and `body` as JSON when given).
pub(crate) async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::GET, path, None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::POST, path, Some(body)).await
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::PATCH, path, Some(body)).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::DELETE, path, None).await
}

/// The seed-004 error envelope with `code`.
#[track_caller]
pub(crate) fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error_code"], code, "{}", answer.1);
    assert!(answer.1["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(answer.1["timestamp"].as_str().is_some());
}

async fn new_user(app: &TestApp) -> gatehouse::store::users::User {
    let email = unique_email();
    app.verified_user(&email).await;
    gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap()
}

/// A platform owner's admin session JWT.
async fn owner_token(app: &TestApp) -> (Uuid, String) {
    let user = new_user(app).await;
    gatehouse::store::users::set_platform_owner(&app.db, user.id, true)
        .await
        .unwrap();
    let issued = admin::session::issue(&app.state, user.id, None)
        .await
        .unwrap();
    (user.id, issued.token)
}

/// A new member of `org` with `roles`, and (for an admin role) their org admin JWT.
async fn member_of(app: &TestApp, org: &str, roles: &[&str]) -> gatehouse::store::users::User {
    let user = new_user(app).await;
    let org = gatehouse::store::organizations::find_by_slug(&app.db, org)
        .await
        .unwrap()
        .unwrap();
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &roles)
        .await
        .unwrap();
    user
}

async fn org_admin_token(app: &TestApp, org: &str) -> String {
    let user = member_of(app, org, &["admin"]).await;
    admin::session::issue(&app.state, user.id, Some(org))
        .await
        .unwrap()
        .token
}

/// A plain member's token minted as if they were an admin (as a stale or forged-rights token
/// would be): the rights come from the store, so it may do nothing.
async fn member_token(app: &TestApp, org: &str) -> String {
    let user = member_of(app, org, &["admin"]).await;
    let token = admin::session::issue(&app.state, user.id, Some(org))
        .await
        .unwrap()
        .token;
    let org_row = gatehouse::store::organizations::find_by_slug(&app.db, org)
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org_row.id, user.id, &["member".into()])
        .await
        .unwrap();
    token
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<(Option<String>, Option<String>)> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    use gatehouse::store::entities::audit_events::{Column, Entity};
    Entity::find()
        .filter(Column::Action.eq(action))
        .order_by_asc(Column::OccurredAt)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.target))
        .collect()
}

// ---- authentication -------------------------------------------------------------------

#[tokio::test]
async fn the_bootstrap_token_works_until_it_expires_and_every_use_is_audited() {
    let expires = chrono::Utc::now() + chrono::Duration::seconds(3);
    let app = app_with_bootstrap(Some(expires.timestamp().to_string())).await;

    let created = post(
        &app,
        BOOTSTRAP,
        "/api/admin/orgs",
        json!({"slug": "boot-co", "name": "Boot Co"}),
    )
    .await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    // X-API-Key is accepted too.
    let listed = app
        .client
        .get(app.url("/api/admin/orgs"))
        .header("X-API-Key", BOOTSTRAP)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let uses = audit_actions(&app, "admin.bootstrap_token.used").await;
    assert_eq!(uses.len(), 2, "{uses:?}");
    assert_eq!(
        audit_actions(&app, "admin.org.created").await[0]
            .0
            .as_deref(),
        Some("bootstrap_token")
    );

    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let expired = get(&app, BOOTSTRAP, "/api/admin/orgs").await;
    assert_error(&expired, StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn a_bootstrap_token_with_an_rfc3339_expiry_in_the_past_is_refused() {
    let app = app_with_bootstrap(Some("2020-01-01T00:00:00Z".into())).await;
    let answer = get(&app, BOOTSTRAP, "/api/admin/orgs").await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn bootstrap_scopes_limit_what_it_may_do() {
    let app = spawn_app_with(|s| {
        s.admin.bootstrap_token = Some(BOOTSTRAP.to_owned().into());
        s.admin.bootstrap_token_scopes = vec!["admin:orgs:read".into()];
    })
    .await;
    assert_eq!(
        get(&app, BOOTSTRAP, "/api/admin/orgs").await.0,
        StatusCode::OK
    );
    let refused = post(
        &app,
        BOOTSTRAP,
        "/api/admin/orgs",
        json!({"slug": "nope-co", "name": "Nope"}),
    )
    .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[tokio::test]
async fn missing_wrong_and_unconfigured_tokens_are_401() {
    let app = spawn_app().await;
    let none = call(&app, None, reqwest::Method::GET, "/api/admin/orgs", None).await;
    assert_error(&none, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    // No bootstrap token is configured: nothing equals it.
    let wrong = get(&app, BOOTSTRAP, "/api/admin/orgs").await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let forged = get(
        &app,
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln",
        "/api/admin/orgs",
    )
    .await;
    assert_error(&forged, StatusCode::UNAUTHORIZED, "JWT_ERROR");
    assert!(!audit_actions(&app, "admin.authenticate").await.is_empty());
}

#[tokio::test]
async fn a_users_access_token_for_a_service_is_not_an_admin_token() {
    let app = spawn_app().await;
    let (_, _, tokens) = crate::helpers::oidc::tokens_for(&app, &["openid"]).await;
    use openidconnect::OAuth2TokenResponse;
    let access = tokens.access_token().secret().clone();
    // Even the token of a platform owner: its audience is the service, not the admin API.
    let payload = access.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let sub = Uuid::parse_str(claims["sub"].as_str().unwrap()).unwrap();
    gatehouse::store::users::set_platform_owner(&app.db, sub, true)
        .await
        .unwrap();
    let answer = get(&app, &access, "/api/admin/orgs").await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "JWT_ERROR");
}

#[tokio::test]
async fn an_admin_session_jwt_carries_the_seed_claims_and_loses_its_rights_with_the_user() {
    let app = spawn_app().await;
    let (owner_id, token) = owner_token(&app).await;
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], format!("{}/api/admin", app.address));
    assert_eq!(claims["token_use"], "admin");
    assert_eq!(claims["is_platform_owner"], true);
    assert_eq!(claims["org"], Value::Null);
    assert_eq!(claims["service"], Value::Null);
    assert_eq!(claims["sub"], owner_id.to_string());
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 3600);
    assert!(claims["jti"].as_str().is_some());
    assert_eq!(get(&app, &token, "/api/admin/orgs").await.0, StatusCode::OK);

    // Ownership revoked: the same unexpired token may do nothing more.
    gatehouse::store::users::set_platform_owner(&app.db, owner_id, false)
        .await
        .unwrap();
    let answer = get(&app, &token, "/api/admin/orgs").await;
    assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
    // And a non-owner cannot get a platform token at all.
    assert!(
        admin::session::issue(&app.state, owner_id, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_caller_over_its_budget_gets_429() {
    let app = spawn_app_with(|s| s.rate_limit.admin_api_per_caller_per_minute = 2).await;
    let (_, token) = owner_token(&app).await;
    for _ in 0..2 {
        assert_eq!(get(&app, &token, "/api/admin/orgs").await.0, StatusCode::OK);
    }
    let limited = get(&app, &token, "/api/admin/orgs").await;
    assert_error(
        &limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    );
    // Another caller has its own budget.
    let (_, other) = owner_token(&app).await;
    assert_eq!(get(&app, &other, "/api/admin/orgs").await.0, StatusCode::OK);
}

// ---- bad input --------------------------------------------------------------------------

#[tokio::test]
async fn unknown_fields_malformed_json_and_bad_slugs_are_400() {
    let app = spawn_app().await;
    let (_, token) = owner_token(&app).await;
    let unknown = post(
        &app,
        &token,
        "/api/admin/orgs",
        json!({"slug": "acme", "name": "Acme", "plan": "gold"}),
    )
    .await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    assert!(unknown.1["error"].as_str().unwrap().contains("plan"));

    let malformed = app
        .client
        .post(app.url("/api/admin/orgs"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"slug\": ")
        .send()
        .await
        .unwrap();
    let status = malformed.status();
    let body: Value = malformed.json().await.unwrap();
    assert_error(&(status, body), StatusCode::BAD_REQUEST, "BAD_REQUEST");

    let bad_slug = post(
        &app,
        &token,
        "/api/admin/orgs",
        json!({"slug": "Not A Slug", "name": "Acme"}),
    )
    .await;
    assert_error(&bad_slug, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    // Nothing was created by any of them: only the built-in organization exists.
    let listed = get(&app, &token, "/api/admin/orgs").await.1;
    let slugs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["gatehouse"]);
}

// ---- orgs -------------------------------------------------------------------------------

#[tokio::test]
async fn orgs_by_owner_org_admin_and_member() {
    let app = spawn_app().await;
    let (_, owner) = owner_token(&app).await;
    let created = post(
        &app,
        &owner,
        "/api/admin/orgs",
        json!({"slug": "acme", "name": "Acme"}),
    )
    .await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    assert_eq!(created.1["status"], "active");
    let again = post(
        &app,
        &owner,
        "/api/admin/orgs",
        json!({"slug": "acme", "name": "Acme again"}),
    )
    .await;
    assert_error(&again, StatusCode::CONFLICT, "CONFLICT");
    post(
        &app,
        &owner,
        "/api/admin/orgs",
        json!({"slug": "beta", "name": "Beta"}),
    )
    .await;

    let admin_a = org_admin_token(&app, "acme").await;
    // An org admin lists and reads its own org only.
    let listed = get(&app, &admin_a, "/api/admin/orgs").await;
    assert_eq!(listed.0, StatusCode::OK);
    let slugs: Vec<&str> = listed
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme"]);
    assert_eq!(
        get(&app, &admin_a, "/api/admin/orgs/acme").await.0,
        StatusCode::OK
    );
    assert_error(
        &get(&app, &admin_a, "/api/admin/orgs/beta").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    // … renames it, but neither suspends it nor creates orgs.
    let renamed = patch(
        &app,
        &admin_a,
        "/api/admin/orgs/acme",
        json!({"name": "Acme Inc"}),
    )
    .await;
    assert_eq!(renamed.1["name"], "Acme Inc", "{}", renamed.1);
    assert_error(
        &patch(
            &app,
            &admin_a,
            "/api/admin/orgs/acme",
            json!({"status": "suspended"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &patch(
            &app,
            &admin_a,
            "/api/admin/orgs/beta",
            json!({"name": "Mine"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &post(
            &app,
            &admin_a,
            "/api/admin/orgs",
            json!({"slug": "gamma", "name": "G"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );

    // A member may do nothing.
    let member = member_token(&app, "acme").await;
    for path in ["/api/admin/orgs", "/api/admin/orgs/acme"] {
        assert_error(
            &get(&app, &member, path).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }

    // The owner suspends and resumes; both audited with the owner as actor, the org as target.
    let suspended = patch(
        &app,
        &owner,
        "/api/admin/orgs/acme",
        json!({"status": "suspended"}),
    )
    .await;
    assert_eq!(suspended.1["status"], "suspended", "{}", suspended.1);
    let resumed = patch(
        &app,
        &owner,
        "/api/admin/orgs/acme",
        json!({"status": "active"}),
    )
    .await;
    assert_eq!(resumed.1["status"], "active");
    let events = audit_actions(&app, "admin.org.suspended").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].0.as_deref().unwrap().starts_with("user:"));
    assert!(events[0].1.as_deref().unwrap().starts_with("org:"));
    assert_eq!(audit_actions(&app, "admin.org.resumed").await.len(), 1);
    assert_error(
        &get(&app, &owner, "/api/admin/orgs/nope").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_error(
        &patch(&app, &owner, "/api/admin/orgs/acme", json!({})).await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    let _ = delete; // used by later route tests
}

#[tokio::test]
async fn the_cli_and_the_api_write_the_same_audit_event() {
    let app = spawn_app().await;
    let (owner_id, owner) = owner_token(&app).await;
    post(
        &app,
        &owner,
        "/api/admin/orgs",
        json!({"slug": "via-api", "name": "API"}),
    )
    .await;
    app.cli(&["org", "create", "--slug", "via-cli", "--name", "CLI"])
        .await;
    let events = audit_actions(&app, "admin.org.created").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0].0.as_deref(),
        Some(format!("user:{owner_id}").as_str())
    );
    assert_eq!(events[1].0.as_deref(), Some("cli"));
    for (_, target) in &events {
        assert!(target.as_deref().unwrap().starts_with("org:"));
    }
    let _ = Actor::Cli;
}

// ---- OpenAPI ----------------------------------------------------------------------------

/// Every admin route: (method, OpenAPI path).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/admin/orgs"),
    ("post", "/api/admin/orgs"),
    ("get", "/api/admin/orgs/{slug}"),
    ("patch", "/api/admin/orgs/{slug}"),
];

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_validates() {
    let app = spawn_app().await;
    let response = app.get("/api/admin/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    // A real OpenAPI 3.1 parser: the whole object model, with every `$ref` resolved below.
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let document: Value = serde_json::from_str(&text).unwrap();
    let paths = document["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is missing from the OpenAPI document"
        );
    }
    let mut documented = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            documented += 1;
            if path == "/api/admin/openapi.json" {
                continue;
            }
            assert!(
                ROUTES.contains(&(method.as_str(), path.as_str())),
                "{method} {path} is documented but not in this test's route list"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty())
            );
            // The route is really served: without credentials it is a 401, not a 404.
            let url = path
                .replace("{slug}", "acme")
                .replace("{client_id}", "x")
                .replace("{user_id}", &Uuid::new_v4().to_string())
                .replace("{id}", &Uuid::new_v4().to_string());
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = call(&app, None, method, &url, None).await;
            assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{path}: {}", answer.1);
        }
    }
    assert_eq!(documented, ROUTES.len() + 1);
    for (path, item) in spec.paths.clone().unwrap_or_default() {
        for (_, operation) in item.methods() {
            for parameter in operation.parameters(&spec).unwrap() {
                assert!(!parameter.name.is_empty(), "{path}");
            }
            if let Some(body) = operation.request_body(&spec).unwrap() {
                for media in body.content.values() {
                    media.schema(&spec).unwrap();
                }
            }
            for response in operation.responses(&spec).values() {
                for media in response.content.values() {
                    media.schema(&spec).unwrap();
                }
            }
        }
    }
}
