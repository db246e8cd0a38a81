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

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::GET, path, None).await
}

pub(crate) async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::POST, path, Some(body)).await
}

pub(crate) async fn patch(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::PATCH, path, Some(body)).await
}

pub(crate) async fn delete(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::DELETE, path, None).await
}

/// Sleeps until just after `at`.
async fn sleep_until(at: chrono::DateTime<chrono::Utc>) {
    let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + std::time::Duration::from_millis(300)).await;
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
pub(crate) async fn owner_token(app: &TestApp) -> (Uuid, String) {
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
pub(crate) async fn member_of(
    app: &TestApp,
    org: &str,
    roles: &[&str],
) -> gatehouse::store::users::User {
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

pub(crate) async fn org_admin_token(app: &TestApp, org: &str) -> String {
    let user = member_of(app, org, &["admin"]).await;
    admin::session::issue(&app.state, user.id, Some(org))
        .await
        .unwrap()
        .token
}

/// A plain member's token minted as if they were an admin (as a stale or forged-rights token
/// would be): the rights come from the store, so it may do nothing.
pub(crate) async fn member_token(app: &TestApp, org: &str) -> String {
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
    // Long enough for a slow start on a loaded machine; the test sleeps only what is left.
    let expires = chrono::Utc::now() + chrono::Duration::seconds(8);
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

    sleep_until(expires).await;
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
    // Each refusal is in the audit log: who, what, from where.
    let refused = audit_actions(&app, "admin.request.refused").await;
    assert!(
        refused.iter().any(|(actor, target)| actor
            .as_deref()
            .is_some_and(|a| a.starts_with("user:"))
            && target.as_deref() == Some("GET /api/admin/orgs/beta")),
        "{refused:?}"
    );
    assert!(
        refused
            .iter()
            .any(|(_, target)| target.as_deref() == Some("GET /api/admin/orgs/acme")),
        "{refused:?}"
    );

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
}

#[tokio::test]
async fn an_org_admin_sets_the_mfa_and_sign_up_policies_through_the_api() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = org_admin_token(&app, "acme").await;
    let before = get(&app, &admin, "/api/admin/orgs/acme").await;
    assert_eq!(before.1["mfa_required"], false);
    assert_eq!(before.1["sign_up_policy"], "open");

    // Act
    let updated = patch(
        &app,
        &admin,
        "/api/admin/orgs/acme",
        json!({"mfa_required": true, "sign_up_policy": "invite_only"}),
    )
    .await;

    // Assert: the answer and a later read agree, and each change is audited once.
    assert_eq!(updated.0, StatusCode::OK, "{}", updated.1);
    assert_eq!(updated.1["mfa_required"], true);
    assert_eq!(updated.1["sign_up_policy"], "invite_only");
    let after = get(&app, &admin, "/api/admin/orgs/acme").await;
    assert_eq!(after.1["sign_up_policy"], "invite_only");
    assert_eq!(
        audit_actions(&app, "admin.org.mfa_policy_changed")
            .await
            .len(),
        1
    );
    assert_eq!(
        audit_actions(&app, "admin.org.sign_up_policy_changed")
            .await
            .len(),
        1
    );
    assert!(audit_actions(&app, "admin.org.updated").await.is_empty());
    // An unknown policy is refused and changes nothing.
    assert_error(
        &patch(
            &app,
            &admin,
            "/api/admin/orgs/acme",
            json!({"sign_up_policy": "anyone", "mfa_required": false}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    assert_eq!(
        get(&app, &admin, "/api/admin/orgs/acme").await.1["mfa_required"],
        true
    );
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
    ("get", "/api/admin/orgs/{slug}/services"),
    ("post", "/api/admin/orgs/{slug}/services"),
    ("get", "/api/admin/services/{client_id}"),
    ("patch", "/api/admin/services/{client_id}"),
    ("delete", "/api/admin/services/{client_id}"),
    ("post", "/api/admin/services/{client_id}/rotate-secret"),
    ("get", "/api/admin/users"),
    ("get", "/api/admin/users/{user_id}"),
    ("post", "/api/admin/users/{user_id}/disable"),
    ("post", "/api/admin/users/{user_id}/enable"),
    ("post", "/api/admin/users/{user_id}/reset-mfa"),
    ("post", "/api/admin/users/{user_id}/revoke-sessions"),
    ("post", "/api/admin/users/{user_id}/resend-verification"),
    ("get", "/api/admin/orgs/{slug}/members"),
    ("post", "/api/admin/orgs/{slug}/members"),
    ("put", "/api/admin/orgs/{slug}/members/{user_id}"),
    ("delete", "/api/admin/orgs/{slug}/members/{user_id}"),
    ("put", "/api/admin/orgs/{slug}/plan"),
    ("get", "/api/admin/orgs/{slug}/roles"),
    ("put", "/api/admin/orgs/{slug}/roles/{role}"),
    ("delete", "/api/admin/orgs/{slug}/roles/{role}"),
    ("get", "/api/admin/orgs/{slug}/providers"),
    ("put", "/api/admin/orgs/{slug}/providers/{provider}"),
    ("delete", "/api/admin/orgs/{slug}/providers/{provider}"),
    ("get", "/api/admin/keys"),
    ("post", "/api/admin/keys/rotate"),
    ("post", "/api/admin/keys/{kid}/retire"),
    ("get", "/api/admin/audit-events"),
    ("get", "/api/admin/tokens"),
    ("post", "/api/admin/tokens"),
    ("get", "/api/admin/tokens/{id}"),
    ("post", "/api/admin/tokens/{id}/rotate"),
    ("post", "/api/admin/tokens/{id}/revoke"),
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
                .replace("{role}", "editor")
                .replace("{provider}", "github")
                .replace("{kid}", "rs256-x")
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

// ---- services ---------------------------------------------------------------------------

/// Two orgs, `acme` and `beta`, created by the owner; the owner's token.
async fn two_orgs(app: &TestApp) -> String {
    let (_, owner) = owner_token(app).await;
    for slug in ["acme", "beta"] {
        let created = post(
            app,
            &owner,
            "/api/admin/orgs",
            json!({"slug": slug, "name": slug}),
        )
        .await;
        assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    }
    owner
}

async fn token_with_secret(app: &TestApp, client_id: &str, secret: &str) -> StatusCode {
    app.client
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn services_routes_by_each_actor() {
    let app = spawn_app().await;
    let owner = two_orgs(&app).await;
    let admin_a = org_admin_token(&app, "acme").await;
    let member = member_token(&app, "acme").await;

    // The org admin creates a service in its org with every option.
    let created = post(
        &app,
        &admin_a,
        "/api/admin/orgs/acme/services",
        json!({
            "slug": "api", "name": "Acme API", "grant_types": ["client_credentials"],
            "scopes": ["reports:read"], "signing_alg": "ES256", "first_party": true,
            "post_logout_redirect_uris": ["https://acme.example/bye"],
        }),
    )
    .await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    let client_id = created.1["client_id"].as_str().unwrap().to_owned();
    let secret = created.1["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        token_with_secret(&app, &client_id, &secret).await,
        StatusCode::OK
    );
    let path = format!("/api/admin/services/{client_id}");
    let shown = get(&app, &admin_a, &path).await;
    assert_eq!(shown.1["signing_alg"], "ES256");
    assert!(
        shown.1.get("client_secret").is_none(),
        "a secret is never shown again"
    );
    assert_eq!(
        get(&app, &admin_a, "/api/admin/orgs/acme/services")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let conflict = post(
        &app,
        &owner,
        "/api/admin/orgs/acme/services",
        json!({"slug": "api", "name": "Again", "grant_types": ["client_credentials"]}),
    )
    .await;
    assert_error(&conflict, StatusCode::CONFLICT, "CONFLICT");

    // Org admin of A acting on B, and a member: 403 for every service route.
    let other = post(
        &app,
        &owner,
        "/api/admin/orgs/beta/services",
        json!({"slug": "web", "name": "Beta", "redirect_uris": ["https://beta.example/cb"]}),
    )
    .await;
    let beta_path = format!(
        "/api/admin/services/{}",
        other.1["client_id"].as_str().unwrap()
    );
    for (token, path) in [(&admin_a, &beta_path), (&member, &path)] {
        assert_error(
            &get(&app, token, path).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &patch(&app, token, path, json!({"name": "x"})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &post(&app, token, &format!("{path}/rotate-secret"), json!({})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &delete(&app, token, path).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }
    assert_error(
        &get(&app, &admin_a, "/api/admin/orgs/beta/services").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &post(
            &app,
            &member,
            "/api/admin/orgs/acme/services",
            json!({"slug": "m", "name": "m"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );

    // Update: grant types, redirect URIs, first-party, signing alg; bad input refused.
    let updated = patch(
        &app,
        &admin_a,
        &path,
        json!({"grant_types": ["client_credentials", "authorization_code"],
               "redirect_uris": ["https://acme.example/cb"], "first_party": false,
               "signing_alg": "RS256"}),
    )
    .await;
    assert_eq!(updated.0, StatusCode::OK, "{}", updated.1);
    assert_eq!(
        updated.1["redirect_uris"],
        json!(["https://acme.example/cb"])
    );
    assert_eq!(updated.1["first_party"], false);
    assert_eq!(updated.1["signing_alg"], "RS256");
    for bad in [
        json!({"redirect_uris": ["http://evil.example/cb"]}),
        json!({"redirect_uris": []}),
        json!({"grant_types": ["password"]}),
        json!({"signing_alg": "HS256"}),
        json!({"allow_password_api": true}),
        json!({"client_secret": "mine"}),
        json!({"allowed_providers": ["no-such-provider"]}),
        json!({"token_redirect": true}),
        json!({}),
    ] {
        assert_error(
            &patch(&app, &admin_a, &path, bad).await,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        );
    }
    // The refused updates changed and recorded nothing.
    assert_eq!(audit_actions(&app, "admin.service.updated").await.len(), 1);
    assert_error(
        &post(
            &app,
            &admin_a,
            "/api/admin/orgs/acme/services",
            json!({"slug": "Bad Slug", "name": "x", "grant_types": ["client_credentials"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );

    // Federation settings: token_redirect needs a first-party service.
    let federated = patch(
        &app,
        &admin_a,
        &path,
        json!({"first_party": true, "token_redirect": true}),
    )
    .await;
    assert_eq!(federated.0, StatusCode::OK, "{}", federated.1);
    assert_eq!(federated.1["token_redirect"], true);
    assert_eq!(federated.1["allowed_providers"], json!([]));

    // Delete; then it is gone and cannot get tokens.
    assert_eq!(
        delete(&app, &admin_a, &path).await.0,
        StatusCode::NO_CONTENT
    );
    // The owner learns it is gone; an org admin cannot tell a deleted service from another
    // organization's.
    assert_error(
        &get(&app, &admin_a, &path).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &get(&app, &owner, &path).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_eq!(
        token_with_secret(&app, &client_id, &secret).await,
        StatusCode::UNAUTHORIZED
    );
    let deleted = audit_actions(&app, "admin.service.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].1.as_deref().unwrap().starts_with("service:"));
}

#[tokio::test]
async fn a_rotated_client_secret_keeps_working_until_the_overlap_ends() {
    let app = spawn_app().await;
    let owner = two_orgs(&app).await;
    let created = post(
        &app,
        &owner,
        "/api/admin/orgs/acme/services",
        json!({"slug": "api", "name": "API", "grant_types": ["client_credentials"]}),
    )
    .await;
    let client_id = created.1["client_id"].as_str().unwrap().to_owned();
    let old = created.1["client_secret"].as_str().unwrap().to_owned();
    let path = format!("/api/admin/services/{client_id}/rotate-secret");
    for bad in [
        json!({"overlap_secs": -1}),
        json!({"overlap_secs": 99_999_999}),
    ] {
        assert_error(
            &post(&app, &owner, &path, bad).await,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        );
    }

    let rotated = post(&app, &owner, &path, json!({"overlap_secs": 5})).await;
    assert_eq!(rotated.0, StatusCode::OK, "{}", rotated.1);
    let new = rotated.1["client_secret"].as_str().unwrap().to_owned();
    assert!(rotated.1["previous_secret_expires_at"].is_string());
    assert_eq!(
        token_with_secret(&app, &client_id, &old).await,
        StatusCode::OK
    );
    assert_eq!(
        token_with_secret(&app, &client_id, &new).await,
        StatusCode::OK
    );
    let until: chrono::DateTime<chrono::Utc> = rotated.1["previous_secret_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    sleep_until(until).await;
    assert_eq!(
        token_with_secret(&app, &client_id, &old).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        token_with_secret(&app, &client_id, &new).await,
        StatusCode::OK
    );

    // Without an overlap the old secret stops at once.
    let again = post(&app, &owner, &path, json!({})).await;
    let newest = again.1["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(again.1["previous_secret_expires_at"], Value::Null);
    assert_eq!(
        token_with_secret(&app, &client_id, &new).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        token_with_secret(&app, &client_id, &newest).await,
        StatusCode::OK
    );
    assert_eq!(
        audit_actions(&app, "admin.service.secret_rotated")
            .await
            .len(),
        2
    );
}

// ---- users ------------------------------------------------------------------------------

#[tokio::test]
async fn users_routes_by_each_actor() {
    let app = spawn_app().await;
    let owner = two_orgs(&app).await;
    let admin_a = org_admin_token(&app, "acme").await;
    let member = member_token(&app, "acme").await;
    let in_a = member_of(&app, "acme", &["member"]).await;
    let in_b = member_of(&app, "beta", &["member"]).await;

    // Owner: every user, searched and paged.
    let page = get(&app, &owner, "/api/admin/users?limit=2").await;
    assert_eq!(page.0, StatusCode::OK, "{}", page.1);
    assert_eq!(page.1["users"].as_array().unwrap().len(), 2);
    assert_eq!(page.1["next_offset"], 2);
    let found = get(
        &app,
        &owner,
        &format!(
            "/api/admin/users?search={}",
            &in_b.email[..12].to_uppercase()
        ),
    )
    .await;
    let emails: Vec<&str> = found.1["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [in_b.email.as_str()]);
    assert_error(
        &get(&app, &owner, "/api/admin/users?limit=1000").await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    assert_error(
        &get(&app, &owner, "/api/admin/users?limit=0").await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    assert_error(
        &get(&app, &owner, "/api/admin/users?sort=email").await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    assert_error(
        &get(&app, &owner, "/api/admin/users/not-a-uuid").await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );

    // Org admin: its members only.
    let listed = get(&app, &admin_a, "/api/admin/users?org=acme").await;
    assert_eq!(listed.0, StatusCode::OK, "{}", listed.1);
    let ids: Vec<&str> = listed.1["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&in_a.id.to_string().as_str()));
    assert!(!ids.contains(&in_b.id.to_string().as_str()));
    assert_error(
        &get(&app, &admin_a, "/api/admin/users").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &get(&app, &admin_a, "/api/admin/users?org=beta").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    let detail = get(&app, &admin_a, &format!("/api/admin/users/{}", in_a.id)).await;
    assert_eq!(detail.1["memberships"][0]["org"], "acme", "{}", detail.1);
    let b_path = format!("/api/admin/users/{}", in_b.id);
    assert_error(
        &get(&app, &admin_a, &b_path).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    for action in [
        "disable",
        "enable",
        "reset-mfa",
        "revoke-sessions",
        "resend-verification",
    ] {
        assert_error(
            &post(&app, &admin_a, &format!("{b_path}/{action}"), json!({})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &post(
                &app,
                &member,
                &format!("/api/admin/users/{}/{action}", in_a.id),
                json!({}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }
    // Disabling is a platform action even for a member of one's own org.
    let a_path = format!("/api/admin/users/{}", in_a.id);
    assert_error(
        &post(&app, &admin_a, &format!("{a_path}/disable"), json!({})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &get(&app, &member, "/api/admin/users?org=acme").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );

    // Revoke sessions (org admin, own member): the signed-in browser is signed out.
    let browser = app.new_device();
    browser.login(&in_a.email, crate::helpers::PASSWORD).await;
    assert_eq!(browser.get("/account").await.status(), StatusCode::OK);
    let revoked = post(
        &app,
        &admin_a,
        &format!("{a_path}/revoke-sessions"),
        json!({}),
    )
    .await;
    assert_eq!(revoked.1["count"], 1, "{}", revoked.1);
    assert_eq!(
        browser.get("/account").await.status(),
        StatusCode::SEE_OTHER
    );

    // Reset MFA: nothing to reset here, still audited as the org admin's action.
    let reset = post(&app, &admin_a, &format!("{a_path}/reset-mfa"), json!({})).await;
    assert_eq!(reset.1["result"], "mfa_reset", "{}", reset.1);
    assert_eq!(audit_actions(&app, "mfa.reset_by_admin").await.len(), 1);

    // Resend verification: an unverified address gets a mail; a verified one is a 400.
    let unverified = admin::users::create(
        &app.state,
        &Actor::Cli,
        &Default::default(),
        admin::users::NewUserInput {
            email: unique_email(),
            password: None,
            verified: false,
        },
    )
    .await
    .unwrap();
    let sent = post(
        &app,
        &owner,
        &format!("/api/admin/users/{}/resend-verification", unverified.id),
        json!({}),
    )
    .await;
    assert_eq!(sent.0, StatusCode::OK, "{}", sent.1);
    let mail = app.mail.wait_for(&unverified.email).await;
    assert!(mail.link().contains("/verify-email"), "{}", mail.text());
    assert_error(
        &post(
            &app,
            &owner,
            &format!("{a_path}/resend-verification"),
            json!({}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );

    // Disable (owner): sign-in refused; enable: it works again.
    assert_eq!(
        post(&app, &owner, &format!("{a_path}/disable"), json!({}))
            .await
            .1["result"],
        "disabled"
    );
    let refused = app.new_device();
    assert_ne!(
        refused
            .login(&in_a.email, crate::helpers::PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(get(&app, &owner, &a_path).await.1["status"], "disabled");
    assert_eq!(
        post(&app, &owner, &format!("{a_path}/enable"), json!({}))
            .await
            .1["result"],
        "enabled"
    );
    let back = app.new_device();
    assert_eq!(
        back.login(&in_a.email, crate::helpers::PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let events = audit_actions(&app, "admin.user.disabled").await;
    assert!(events[0].0.as_deref().unwrap().starts_with("user:"));
    assert_eq!(
        events[0].1.as_deref(),
        Some(format!("user:{}", in_a.id).as_str())
    );
    assert_error(
        &get(
            &app,
            &owner,
            &format!("/api/admin/users/{}", Uuid::new_v4()),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
}

// ---- members ----------------------------------------------------------------------------

#[tokio::test]
async fn members_routes_by_each_actor() {
    let app = spawn_app().await;
    let owner = two_orgs(&app).await;
    let admin_a = org_admin_token(&app, "acme").await;
    let member = member_token(&app, "acme").await;
    let newcomer = new_user(&app).await;

    let added = post(
        &app,
        &admin_a,
        "/api/admin/orgs/acme/members",
        json!({"email": newcomer.email, "roles": ["member"]}),
    )
    .await;
    assert_eq!(added.0, StatusCode::CREATED, "{}", added.1);
    assert_error(
        &post(
            &app,
            &admin_a,
            "/api/admin/orgs/acme/members",
            json!({"user_id": newcomer.id, "roles": ["member"]}),
        )
        .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    );
    for bad in [
        json!({"email": newcomer.email, "roles": []}),
        json!({"email": newcomer.email, "roles": ["Not Valid"]}),
        json!({"roles": ["member"]}),
        json!({"email": newcomer.email, "user_id": newcomer.id, "roles": ["member"]}),
    ] {
        assert_error(
            &post(&app, &admin_a, "/api/admin/orgs/acme/members", bad).await,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        );
    }
    let path = format!("/api/admin/orgs/acme/members/{}", newcomer.id);
    let promoted = call(
        &app,
        Some(&admin_a),
        reqwest::Method::PUT,
        &path,
        Some(json!({"roles": ["admin", "member"]})),
    )
    .await;
    assert_eq!(
        promoted.1["roles"],
        json!(["admin", "member"]),
        "{}",
        promoted.1
    );
    let listed = get(&app, &admin_a, "/api/admin/orgs/acme/members").await;
    assert!(
        listed
            .1
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == newcomer.id.to_string())
    );

    // The org admin of A on B, and a member: 403.
    for (token, org) in [(&admin_a, "beta"), (&member, "acme")] {
        assert_error(
            &get(&app, token, &format!("/api/admin/orgs/{org}/members")).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &post(
                &app,
                token,
                &format!("/api/admin/orgs/{org}/members"),
                json!({"user_id": newcomer.id, "roles": ["member"]}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        let other = format!("/api/admin/orgs/{org}/members/{}", newcomer.id);
        assert_error(
            &call(
                &app,
                Some(token),
                reqwest::Method::PUT,
                &other,
                Some(json!({"roles": ["owner"]})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &delete(&app, token, &other).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }

    assert_eq!(
        delete(&app, &admin_a, &path).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &delete(&app, &admin_a, &path).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_error(
        &call(
            &app,
            Some(&owner),
            reqwest::Method::PUT,
            &path,
            Some(json!({"roles": ["member"]})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    let added_events = audit_actions(&app, "admin.member.added").await;
    assert!(
        added_events
            .iter()
            .any(|(_, t)| t.as_deref() == Some(format!("user:{}", newcomer.id).as_str()))
    );
    assert_eq!(audit_actions(&app, "admin.member.removed").await.len(), 1);
}

#[tokio::test]
async fn the_cli_and_the_api_add_members_with_the_same_audit_event() {
    let app = spawn_app().await;
    let owner = two_orgs(&app).await;
    let (one, two) = (new_user(&app).await, new_user(&app).await);
    post(
        &app,
        &owner,
        "/api/admin/orgs/acme/members",
        json!({"user_id": one.id, "roles": ["member"]}),
    )
    .await;
    app.cli(&[
        "org",
        "add-member",
        "--org",
        "acme",
        "--email",
        &two.email,
        "--role",
        "member",
    ])
    .await;
    let events = audit_actions(&app, "admin.member.added").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1].0.as_deref(), Some("cli"));
    assert_eq!(
        events[1].1.as_deref(),
        Some(format!("user:{}", two.id).as_str())
    );
    let created = app
        .cli(&[
            "service",
            "create",
            "--org",
            "acme",
            "--slug",
            "svc",
            "--name",
            "Svc",
            "--grant-type",
            "client_credentials",
        ])
        .await;
    assert!(created["client_secret"].is_string());
    let via_api = post(
        &app,
        &owner,
        "/api/admin/orgs/acme/services",
        json!({"slug": "svc2", "name": "Svc", "grant_types": ["client_credentials"]}),
    )
    .await;
    assert_eq!(via_api.0, StatusCode::CREATED);
    let events = audit_actions(&app, "admin.service.created").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].0.as_deref(), Some("cli"));
    assert!(events[1].0.as_deref().unwrap().starts_with("user:"));
}

#[tokio::test]
async fn the_bootstrap_variables_of_the_seed_are_read_and_checked() {
    let app = spawn_app().await;
    let run = |vars: Vec<(&'static str, &'static str)>| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .arg("migrate")
            // The app's own SQLite file, even when the suite runs on PostgreSQL.
            .env_remove("DATABASE_URL")
            .env("GATEHOUSE_DATA_DIR", &app.settings.data_dir)
            .env("GATEHOUSE_LOG__LEVEL", "error")
            .envs(vars);
        async move { command.output().await.unwrap() }
    };
    let refused = run(vec![
        ("GATEHOUSE_BOOTSTRAP_TOKEN", "short"),
        (
            "GATEHOUSE_BOOTSTRAP_TOKEN_SCOPES",
            "admin:orgs:read,admin:nope",
        ),
        ("GATEHOUSE_BOOTSTRAP_TOKEN_EXPIRES_AT", "next tuesday"),
    ])
    .await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    for variable in [
        "GATEHOUSE_BOOTSTRAP_TOKEN)",
        "GATEHOUSE_BOOTSTRAP_TOKEN_SCOPES",
        "GATEHOUSE_BOOTSTRAP_TOKEN_EXPIRES_AT",
    ] {
        assert!(stderr.contains(variable), "{variable}: {stderr}");
    }
    let accepted = run(vec![
        ("GATEHOUSE_BOOTSTRAP_TOKEN", "0123456789abcdef0123"),
        (
            "GATEHOUSE_BOOTSTRAP_TOKEN_SCOPES",
            "admin:orgs:read, admin:tokens:write",
        ),
        (
            "GATEHOUSE_BOOTSTRAP_TOKEN_EXPIRES_AT",
            "2030-01-01T00:00:00Z",
        ),
    ])
    .await;
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
}

#[tokio::test]
async fn a_suspended_organizations_admin_token_is_refused() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let token = org_admin_token(&app, "acme").await;
    let suspend = admin::orgs::OrgUpdate {
        status: Some(admin::orgs::OrgStatus::Suspended),
        ..Default::default()
    };
    admin::orgs::update(
        &app.state,
        &admin::Actor::Cli,
        &gatehouse::domain::RequestMeta::default(),
        "acme",
        suspend,
    )
    .await
    .unwrap();
    assert_error(
        &get(&app, &token, "/api/admin/orgs/acme").await,
        StatusCode::FORBIDDEN,
        "ORGANIZATION_NOT_ACTIVE",
    );
}

#[tokio::test]
async fn an_org_admins_action_on_a_member_is_in_that_orgs_audit_log() {
    // Arrange: a member of Acme, Acme's admin, and a platform owner.
    let app = spawn_app().await;
    let acme = app.create_org("acme", "Acme").await;
    let member = member_of(&app, "acme", &[]).await;
    let admin = org_admin_token(&app, "acme").await;
    let (_, owner) = owner_token(&app).await;

    // Act: both end the member's sessions.
    for token in [&admin, &owner] {
        let path = format!("/api/admin/users/{}/revoke-sessions", member.id);
        let answer = post(&app, token, &path, json!({})).await;
        assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    }

    // Assert: both events belong to Acme, where its admins read them.
    let events =
        gatehouse::store::audit_events::list_for_action(&app.db, "admin.user.sessions_revoked")
            .await
            .unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        events.iter().all(|e| e.org_id == Some(acme.id)),
        "{events:?}"
    );
}
