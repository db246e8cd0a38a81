//! Service tokens (issue 15 items 5 to 7): the CLI, rotation with overlap, revocation, bad
//! input, introspection and RFC 8693 token exchange verified by a consumer with the JWKS only.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin_api::assert_error as assert_api_error;
use crate::helpers::{ServiceOptions, TestApp, TestService, spawn_app};
use gatehouse::store::{audit_events, organizations, services};

pub const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const SERVICE_TOKEN_TYPE: &str = "urn:gatehouse:params:oauth:token-type:service-token";

/// The documented scanner regex (docs/service-tokens.md).
pub fn looks_like_a_service_token(raw: &str) -> bool {
    regex::Regex::new(r"^gh_st_[A-Za-z0-9-]{1,64}_[A-Za-z0-9]{38}$")
        .unwrap()
        .is_match(raw)
}

/// Runs `gatehouse <args> --json` on the app's database: `Ok(stdout JSON)` or `Err(stderr)`.
pub async fn cli(app: &TestApp, args: &[&str]) -> Result<Value, String> {
    app.try_cli(args).await
}

/// A confidential service of a fresh organization that may use token exchange; and its org.
pub async fn exchanging_service(app: &TestApp) -> (TestService, organizations::Organization) {
    let service = app
        .create_service(ServiceOptions {
            grant_types: vec!["authorization_code", EXCHANGE],
            ..ServiceOptions::default()
        })
        .await;
    let row = services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let org = organizations::find_by_id(&app.db, row.org_id)
        .await
        .unwrap()
        .unwrap();
    (service, org)
}

/// `POST /token` with the token-exchange grant and extra form fields.
pub async fn exchange_with(
    app: &TestApp,
    service: &TestService,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = vec![("grant_type", EXCHANGE)];
    form.extend_from_slice(fields);
    let response = app
        .client
        .post(app.url("/token"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

pub async fn exchange(app: &TestApp, service: &TestService, token: &str) -> (StatusCode, Value) {
    exchange_with(
        app,
        service,
        &[
            ("subject_token", token),
            ("subject_token_type", SERVICE_TOKEN_TYPE),
        ],
    )
    .await
}

pub async fn introspect(app: &TestApp, service: &TestService, token: &str) -> Value {
    let response = app
        .client
        .post(app.url("/introspect"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Asserts an RFC 6749 error answer.
pub fn assert_oauth_error(answer: &(StatusCode, Value), status: StatusCode, error: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], error, "{}", answer.1);
}

pub async fn audit(app: &TestApp, action: &str) -> Vec<audit_events::AuditEvent> {
    audit_events::list_for_action(&app.db, action)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cli_creates_lists_shows_and_revokes_tokens_with_audit() {
    let app = spawn_app().await;
    let created = cli(
        &app,
        &[
            "token",
            "create",
            "--id",
            "ci-deploy",
            "--scope",
            "admin:tokens:read",
            "--scope",
            "admin:services:read",
            "--workspace",
            "ws-analytics",
            "--workspace",
            "ws_reports",
            "--expires-in",
            "3600",
        ],
    )
    .await
    .unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(looks_like_a_service_token(secret), "{secret}");
    assert!(secret.starts_with("gh_st_ci-deploy_"));
    assert_eq!(created["id"], "ci-deploy");
    assert_eq!(
        created["scopes"],
        json!(["admin:services:read", "admin:tokens:read"])
    );
    assert_eq!(created["workspaces"], json!(["ws-analytics", "ws_reports"]));
    assert_eq!(created["status"], "active");
    assert!(created["expires_at"].is_string());

    // The secret is stored only as its SHA-256.
    let row = gatehouse::store::service_tokens::find(&app.db, "ci-deploy")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.secret_hash, gatehouse::keys::hash_token(secret));

    let list = cli(&app, &["token", "list"]).await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "list never shows secrets");
    let shown = cli(&app, &["token", "show", "ci-deploy"]).await.unwrap();
    assert_eq!(shown["created_by"], "cli");
    assert_eq!(shown["last_used_at"], Value::Null);

    let revoked = cli(
        &app,
        &[
            "token",
            "revoke",
            "ci-deploy",
            "--reason",
            "leaked in a log",
        ],
    )
    .await
    .unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_reason"], "leaked in a log");

    let events = audit(&app, "service_token.created").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some("cli"));
    assert_eq!(events[0].target.as_deref(), Some("service_token:ci-deploy"));
    let events = audit(&app, "service_token.revoked").await;
    assert_eq!(events.len(), 1);
    assert!(
        events[0]
            .details
            .as_deref()
            .unwrap()
            .contains("leaked in a log")
    );

    let text_list = cli(&app, &["token", "list"]).await.unwrap();
    assert_eq!(text_list[0]["status"], "revoked");
}

#[tokio::test]
async fn a_rotated_secret_works_during_the_overlap_then_expires() {
    let app = spawn_app().await;
    let (service, _) = exchanging_service(&app).await;
    let created = cli(&app, &["token", "create", "--id", "backend"])
        .await
        .unwrap();
    let old = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(exchange(&app, &service, &old).await.0, StatusCode::OK);

    let rotated = cli(&app, &["token", "rotate", "backend", "--overlap", "2"])
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_valid_until"].is_string());
    // Both work during the overlap; the old one's introspection says when it ends.
    assert_eq!(exchange(&app, &service, &old).await.0, StatusCode::OK);
    assert_eq!(exchange(&app, &service, &new).await.0, StatusCode::OK);
    let during = introspect(&app, &service, &old).await;
    assert_eq!(during["active"], true);
    assert!(during["exp"].as_i64().unwrap() <= chrono::Utc::now().timestamp() + 2);

    tokio::time::sleep(Duration::from_millis(2200)).await;
    let after = exchange(&app, &service, &old).await;
    assert_oauth_error(&after, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        after.1["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{}",
        after.1
    );
    assert_eq!(
        introspect(&app, &service, &old).await,
        json!({"active": false})
    );
    assert_eq!(exchange(&app, &service, &new).await.0, StatusCode::OK);

    // The refused use is audited with the token and the reason.
    let failures = audit(&app, "service_token.used").await;
    let last = failures.last().unwrap();
    assert_eq!(last.outcome, "failure");
    assert_eq!(last.target.as_deref(), Some("service_token:backend"));
    assert!(last.details.as_deref().unwrap().contains("expired"));
    assert!(last.ip.is_some(), "from where");
    assert_eq!(audit(&app, "service_token.rotated").await.len(), 1);

    // Overlap 0: the old secret stops at once.
    let again = cli(&app, &["token", "rotate", "backend", "--overlap", "0"])
        .await
        .unwrap();
    assert_oauth_error(
        &exchange(&app, &service, &new).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        exchange(&app, &service, again["secret"].as_str().unwrap())
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revocation_is_immediate_and_final() {
    let app = spawn_app().await;
    let (service, _) = exchanging_service(&app).await;
    let created = cli(&app, &["token", "create", "--id", "ci"]).await.unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(introspect(&app, &service, secret).await["active"], true);

    cli(&app, &["token", "revoke", "ci", "--reason", "compromised"])
        .await
        .unwrap();
    let refused = exchange(&app, &service, secret).await;
    assert_oauth_error(&refused, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        refused.1["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    assert_eq!(
        introspect(&app, &service, secret).await,
        json!({"active": false})
    );

    let twice = cli(&app, &["token", "revoke", "ci", "--reason", "again"])
        .await
        .unwrap_err();
    assert!(twice.contains("already revoked"), "{twice}");
    let rotate = cli(&app, &["token", "rotate", "ci"]).await.unwrap_err();
    assert!(rotate.contains("revoked"), "{rotate}");
    assert_eq!(audit(&app, "service_token.revoked").await.len(), 1);
}

#[tokio::test]
async fn bad_cli_input_is_refused_with_a_clear_message_and_nothing_stored() {
    let app = spawn_app().await;
    cli(&app, &["token", "create", "--id", "taken"])
        .await
        .unwrap();
    let cases: [(&[&str], &str); 12] = [
        (&["--scope", "admin:everything"], "unknown scope"),
        (&["--scope", "workflows:read"], "unknown scope"),
        (&["--workspace", "ws analytics"], "invalid workspace"),
        (&["--workspace", "ws/1"], "invalid workspace"),
        (&["--expires-in", "-5"], "expires_in must be between"),
        (&["--expires-in", "0"], "expires_in must be between"),
        (
            &["--expires-in", "999999999999"],
            "expires_in must be between",
        ),
        (&["--id", "bad_id"], "token id"),
        (
            &["--id", "550e8400-e29b-41d4-a716-446655440000"],
            "token id",
        ),
        (&["--id", "taken"], "already exists"),
        (&["--org", "no-such-org"], "no organization"),
        (&["--id", &"x".repeat(65)], "token id"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["token", "create"];
        all.extend_from_slice(args);
        let err = cli(&app, &all).await.unwrap_err();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    for (overlap, expected) in [("-1", "overlap"), ("604801", "overlap")] {
        let err = cli(&app, &["token", "rotate", "taken", "--overlap", overlap])
            .await
            .unwrap_err();
        assert!(err.contains(expected), "{overlap}: {err}");
    }
    let err = cli(&app, &["token", "rotate", "taken", "--expires-in", "-1"])
        .await
        .unwrap_err();
    assert!(err.contains("expires_in"), "{err}");
    let err = cli(&app, &["token", "revoke", "taken", "--reason", "  "])
        .await
        .unwrap_err();
    assert!(err.contains("reason"), "{err}");
    let err = cli(&app, &["token", "show", "nope"]).await.unwrap_err();
    assert!(err.contains("not found"), "{err}");

    assert_eq!(
        cli(&app, &["token", "list"])
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(audit(&app, "service_token.created").await.len(), 1);
    assert!(audit(&app, "service_token.rotated").await.is_empty());
}

#[tokio::test]
async fn an_exchanged_token_verifies_with_nothing_but_the_jwks() {
    let app = spawn_app().await;
    let (service, org) = exchanging_service(&app).await;
    let created = cli(
        &app,
        &[
            "token",
            "create",
            "--id",
            "analytics",
            "--org",
            &org.slug,
            "--scope",
            "admin:services:read",
            "--scope",
            "admin:tokens:read",
            "--workspace",
            "ws-analytics",
            "--expires-in",
            "86400",
        ],
    )
    .await
    .unwrap();
    let (status, body) = exchange(&app, &service, created["secret"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert!(body.get("refresh_token").is_none());
    let jwt = body["access_token"].as_str().unwrap();

    // The consumer: an HTTP client of its own, the issuer's JWKS, and jsonwebtoken.
    let consumer = reqwest::Client::new();
    let jwks: jsonwebtoken::jwk::JwkSet = consumer
        .get(format!("{}/.well-known/jwks.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let alg = match jwk.common.key_algorithm.unwrap() {
        jsonwebtoken::jwk::KeyAlgorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        other => panic!("unexpected key algorithm {other:?}"),
    };
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&[service.client_id.as_str()]);
    validation.set_issuer(&[app.address.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["sub"], "analytics");
    assert_eq!(claims["token_use"], "service");
    assert_eq!(claims["scope"], "admin:services:read admin:tokens:read");
    assert_eq!(claims["workspace_ids"], json!(["ws-analytics"]));
    assert!(claims["jti"].is_string());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!((1..=15 * 60).contains(&lifetime), "short-lived: {lifetime}");

    // Introspection knows it while its service token lives.
    let answer = introspect(&app, &service, jwt).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["token_use"], "service");
    assert_eq!(answer["sub"], "analytics");
    assert_eq!(answer["workspace_ids"], json!(["ws-analytics"]));

    // It is no user's token: userinfo refuses it.
    let userinfo = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);

    // A narrower scope may be asked for; a wider one is refused.
    let (status, narrowed) = exchange_with(
        &app,
        &service,
        &[
            ("subject_token", created["secret"].as_str().unwrap()),
            ("subject_token_type", SERVICE_TOKEN_TYPE),
            ("scope", "admin:tokens:read"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["scope"], "admin:tokens:read");
    let wider = exchange_with(
        &app,
        &service,
        &[
            ("subject_token", created["secret"].as_str().unwrap()),
            ("subject_token_type", SERVICE_TOKEN_TYPE),
            ("scope", "admin:tokens:write"),
        ],
    )
    .await;
    assert_oauth_error(&wider, StatusCode::BAD_REQUEST, "invalid_scope");

    // Exchange is a use: last_used_at and the address are recorded.
    let shown = cli(&app, &["token", "show", "analytics"]).await.unwrap();
    assert!(shown["last_used_at"].is_string());
    assert_eq!(shown["last_used_ip"], "127.0.0.1");

    // The client that got a JWT may revoke that one (RFC 7009); its siblings stay active.
    let narrowed_jwt = narrowed["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&app, &service, narrowed_jwt).await["active"],
        true
    );
    let revoked = app
        .client
        .post(app.url("/revoke"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[("token", narrowed_jwt)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        introspect(&app, &service, narrowed_jwt).await,
        json!({"active": false})
    );
    assert_eq!(introspect(&app, &service, jwt).await["active"], true);

    // Revoking the service token ends its JWTs for introspecting backends at once.
    cli(&app, &["token", "revoke", "analytics", "--reason", "done"])
        .await
        .unwrap();
    assert_eq!(
        introspect(&app, &service, jwt).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn introspection_answers_for_service_tokens_with_the_seed_claims() {
    let app = spawn_app().await;
    let (service, org) = exchanging_service(&app).await;
    let (other_org_service, _) = exchanging_service(&app).await;
    let created = cli(
        &app,
        &[
            "token",
            "create",
            "--id",
            "reports",
            "--org",
            &org.slug,
            "--scope",
            "admin:audit:read",
            "--workspace",
            "ws-reports",
            "--expires-in",
            "600",
        ],
    )
    .await
    .unwrap();
    let secret = created["secret"].as_str().unwrap();
    let answer = introspect(&app, &service, secret).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["token_use"], "service");
    assert_eq!(answer["sub"], "reports");
    assert_eq!(answer["scope"], "admin:audit:read");
    assert_eq!(answer["workspace_ids"], json!(["ws-reports"]));
    let exp = answer["exp"].as_i64().unwrap();
    assert!((exp - chrono::Utc::now().timestamp() - 600).abs() <= 5);

    // Another organization's service learns nothing about it, nor may it exchange it.
    assert_eq!(
        introspect(&app, &other_org_service, secret).await,
        json!({"active": false})
    );
    assert_oauth_error(
        &exchange(&app, &other_org_service, secret).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
    );
    // Malformed and bad-checksum tokens are inactive.
    let mut broken = secret.to_owned();
    let last = broken.pop().unwrap();
    broken.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [broken.as_str(), "gh_st_reports_short", "gh_st_"] {
        assert_eq!(
            introspect(&app, &service, bad).await,
            json!({"active": false}),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn token_exchange_refuses_bad_requests_with_rfc_errors() {
    let app = spawn_app().await;
    let (service, _) = exchanging_service(&app).await;
    let created = cli(&app, &["token", "create", "--id", "svc"])
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap();

    let missing = exchange_with(
        &app,
        &service,
        &[("subject_token_type", SERVICE_TOKEN_TYPE)],
    )
    .await;
    assert_oauth_error(&missing, StatusCode::BAD_REQUEST, "invalid_request");
    let no_type = exchange_with(&app, &service, &[("subject_token", secret)]).await;
    assert_oauth_error(&no_type, StatusCode::BAD_REQUEST, "invalid_request");
    let wrong_type = exchange_with(
        &app,
        &service,
        &[
            ("subject_token", secret),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
        ],
    )
    .await;
    assert_oauth_error(
        &wrong_type,
        StatusCode::BAD_REQUEST,
        "unsupported_token_type",
    );
    let mut bad_checksum = secret.to_owned();
    bad_checksum.replace_range(bad_checksum.len() - 1.., "_");
    // One checksum digit changed (to a different one).
    let last = if secret.ends_with('x') { "y" } else { "x" };
    let changed = format!("{}{last}", &secret[..secret.len() - 1]);
    for bad in [
        "not-a-token",
        "gh_st_svc_0123456789",
        bad_checksum.as_str(),
        changed.as_str(),
    ] {
        assert_oauth_error(
            &exchange(&app, &service, bad).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        );
    }

    // A client that may not use the grant.
    let plain = app.create_service(ServiceOptions::default()).await;
    assert_oauth_error(
        &exchange(&app, &plain, secret).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
    );
    // A wrong client secret.
    let impostor = TestService {
        client_id: service.client_id.clone(),
        secret: Some("wrong".into()),
    };
    assert_oauth_error(
        &exchange(&app, &impostor, secret).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );

    // Discovery advertises the grant.
    let discovery: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        discovery["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(EXCHANGE))
    );
}

#[tokio::test]
async fn a_flood_of_bad_tokens_writes_a_bounded_number_of_audit_rows() {
    let app = spawn_app().await;
    let (service, _) = exchanging_service(&app).await;
    for i in 0..25 {
        let bad = format!("gh_st_flood{i}_{}", "a".repeat(38));
        assert_oauth_error(
            &exchange(&app, &service, &bad).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        );
    }
    let rows = audit(&app, "service_token.used").await;
    assert_eq!(
        rows.len(),
        gatehouse::rate_limit::TOKEN_FAILURE_AUDITS_PER_MINUTE as usize
    );
    assert!(rows[0].details.as_deref().unwrap().contains("malformed"));
    // The rest is counted into the minute's aggregated row.
    let refused = gatehouse::housekeeping::audit_refusals(&app.state, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(refused, 15);
}

// ── The admin API ────────────────────────────────────────────────────────────────────────

const BOOTSTRAP: &str = "bootstrap-secret-for-service-token-tests";

async fn app_with_bootstrap() -> TestApp {
    crate::helpers::spawn_app_with(|s| {
        s.admin.bootstrap_token = Some(BOOTSTRAP.to_owned().into());
    })
    .await
}

async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    crate::admin_api::call(app, Some(token), method, path, body).await
}

async fn api_post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    api(app, token, reqwest::Method::POST, path, Some(body)).await
}

async fn api_get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    api(app, token, reqwest::Method::GET, path, None).await
}

/// An admin session JWT of a new admin (or, with `role` "member", a plain member) of `org`.
async fn session_of(app: &TestApp, org: &str, role: &str) -> String {
    let email = crate::helpers::unique_email();
    app.verified_user(&email).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    let org_row = organizations::find_by_slug(&app.db, org)
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org_row.id, user.id, &["admin".to_owned()])
        .await
        .unwrap();
    let token = gatehouse::admin::session::issue(&app.state, user.id, Some(org))
        .await
        .unwrap()
        .token;
    if role != "admin" {
        gatehouse::store::memberships::upsert(&app.db, org_row.id, user.id, &[role.to_owned()])
            .await
            .unwrap();
    }
    token
}

/// (action, outcome, target, detail keys) of the service-token audit rows, in order.
async fn token_audit_trail(app: &TestApp) -> Vec<(String, String, String, Vec<String>)> {
    let mut rows = Vec::new();
    for action in [
        "service_token.created",
        "service_token.rotated",
        "service_token.revoked",
    ] {
        for e in audit(app, action).await {
            let details: Value = serde_json::from_str(e.details.as_deref().unwrap()).unwrap();
            let mut keys: Vec<String> = details.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            rows.push((e.action, e.outcome, e.target.unwrap(), keys));
        }
    }
    rows
}

#[tokio::test]
async fn the_cli_and_the_api_write_the_same_audit_events() {
    let by_cli = spawn_app().await;
    cli(
        &by_cli,
        &[
            "token",
            "create",
            "--id",
            "same",
            "--scope",
            "admin:orgs:read",
        ],
    )
    .await
    .unwrap();
    cli(&by_cli, &["token", "rotate", "same", "--overlap", "60"])
        .await
        .unwrap();
    cli(&by_cli, &["token", "revoke", "same", "--reason", "done"])
        .await
        .unwrap();

    let by_api = app_with_bootstrap().await;
    let created = api_post(
        &by_api,
        BOOTSTRAP,
        "/api/admin/tokens",
        json!({"id": "same", "scopes": ["admin:orgs:read"]}),
    )
    .await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    assert!(looks_like_a_service_token(
        created.1["secret"].as_str().unwrap()
    ));
    let rotated = api_post(
        &by_api,
        BOOTSTRAP,
        "/api/admin/tokens/same/rotate",
        json!({"overlap": 60}),
    )
    .await;
    assert_eq!(rotated.0, StatusCode::OK, "{}", rotated.1);
    let revoked = api_post(
        &by_api,
        BOOTSTRAP,
        "/api/admin/tokens/same/revoke",
        json!({"reason": "done"}),
    )
    .await;
    assert_eq!(revoked.0, StatusCode::OK, "{}", revoked.1);

    let trail = token_audit_trail(&by_cli).await;
    assert_eq!(trail.len(), 3);
    assert_eq!(trail, token_audit_trail(&by_api).await);
    assert_eq!(
        audit(&by_cli, "service_token.created").await[0]
            .actor
            .as_deref(),
        Some("cli")
    );
    assert_eq!(
        audit(&by_api, "service_token.created").await[0]
            .actor
            .as_deref(),
        Some("bootstrap_token")
    );
}

#[tokio::test]
async fn a_service_token_authenticates_on_the_admin_api_until_rotated_away_or_revoked() {
    let app = app_with_bootstrap().await;
    let (status, created) = api_post(
        &app,
        BOOTSTRAP,
        "/api/admin/tokens",
        json!({
            "id": "ops",
            "scopes": ["admin:tokens:read", "admin:tokens:write"],
            "workspaces": ["ws-prod"],
            "expires_in": 3600,
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let old = created["secret"].as_str().unwrap().to_owned();

    let (status, list) = api_get(&app, &old, "/api/admin/tokens").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["id"], "ops");
    // X-API-Key works too (seed 003).
    let by_key = app
        .client
        .get(app.url("/api/admin/tokens/ops"))
        .header("X-API-Key", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(by_key.status(), StatusCode::OK);
    let shown: Value = by_key.json().await.unwrap();
    assert!(shown["last_used_at"].is_string(), "{shown}");
    assert_eq!(shown["last_used_ip"], "127.0.0.1");
    // Stamped at most once a minute: later uses within it leave it as it is.
    let (_, again) = api_get(&app, &old, "/api/admin/tokens/ops").await;
    assert_eq!(again["last_used_at"], shown["last_used_at"]);

    // A token may rotate itself; the old secret works for the overlap, then TOKEN_EXPIRED.
    let (status, rotated) = api_post(
        &app,
        &old,
        "/api/admin/tokens/ops/rotate",
        json!({"overlap": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        api_get(&app, &old, "/api/admin/tokens/ops").await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_api_error(
        &api_get(&app, &old, "/api/admin/tokens/ops").await,
        StatusCode::UNAUTHORIZED,
        "TOKEN_EXPIRED",
    );
    assert_eq!(
        api_get(&app, &new, "/api/admin/tokens/ops").await.0,
        StatusCode::OK
    );

    // Revocation is immediate.
    let (status, _) = api_post(
        &app,
        BOOTSTRAP,
        "/api/admin/tokens/ops/revoke",
        json!({"reason": "rotated out"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_api_error(
        &api_get(&app, &new, "/api/admin/tokens").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    );

    // An expired token: TOKEN_EXPIRED.
    let (_, short) = api_post(
        &app,
        BOOTSTRAP,
        "/api/admin/tokens",
        json!({"id": "short", "scopes": ["admin:tokens:read"], "expires_in": 1}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_api_error(
        &api_get(&app, short["secret"].as_str().unwrap(), "/api/admin/tokens").await,
        StatusCode::UNAUTHORIZED,
        "TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn a_token_never_holds_more_rights_than_its_creator() {
    let app = app_with_bootstrap().await;
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    let acme_admin = session_of(&app, "acme", "admin").await;
    let member = session_of(&app, "acme", "member").await;

    // An org admin mints tokens of their organization with rights they hold there.
    let (status, mine) = api_post(
        &app,
        &acme_admin,
        "/api/admin/tokens",
        json!({"org": "acme", "scopes": ["admin:services:read", "admin:tokens:write"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert!(mine["id"].as_str().unwrap().starts_with("st-"));
    // Not signing-key rights, not platform-wide tokens, not another organization's.
    assert_api_error(
        &api_post(
            &app,
            &acme_admin,
            "/api/admin/tokens",
            json!({"org": "acme", "scopes": ["admin:keys:write"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    for body in [
        json!({"scopes": ["admin:tokens:read"]}),
        json!({"org": "globex", "scopes": []}),
    ] {
        assert_api_error(
            &api_post(&app, &acme_admin, "/api/admin/tokens", body).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }
    // A member may do nothing.
    assert_api_error(
        &api_get(&app, &member, "/api/admin/tokens").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );

    // The org token (services:read + tokens:write) cannot mint or take over wider tokens.
    let org_token = mine["secret"].as_str().unwrap();
    assert_api_error(
        &api_post(
            &app,
            org_token,
            "/api/admin/tokens",
            json!({"org": "acme", "scopes": ["admin:services:write"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    let (status, wider) = api_post(
        &app,
        &acme_admin,
        "/api/admin/tokens",
        json!({"id": "wider", "org": "acme", "scopes": ["admin:users:write"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{wider}");
    assert_api_error(
        &api_post(&app, org_token, "/api/admin/tokens/wider/rotate", json!({})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    // It may mint a narrower one; it reads no other organization's tokens.
    let (status, _) = api_post(
        &app,
        org_token,
        "/api/admin/tokens",
        json!({"org": "acme", "scopes": ["admin:services:read"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, globex_token) = api_post(
        &app,
        BOOTSTRAP,
        "/api/admin/tokens",
        json!({"id": "globex-ci", "org": "globex"}),
    )
    .await;
    assert_eq!(globex_token["id"], "globex-ci");
    assert_api_error(
        &api_get(&app, &acme_admin, "/api/admin/tokens/globex-ci").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    let (_, acme_list) = api_get(&app, &acme_admin, "/api/admin/tokens").await;
    let ids: Vec<&str> = acme_list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{acme_list}");
    assert!(!ids.contains(&"globex-ci"));
}

#[tokio::test]
async fn bad_api_input_gets_a_clear_error_in_the_seed_envelope() {
    let app = app_with_bootstrap().await;
    let path = "/api/admin/tokens";
    let cases = [
        json!({"scopes": ["admin:nope"]}),
        json!({"scopes": ["workflows:read"]}),
        json!({"workspaces": ["ws prod"]}),
        json!({"workspaces": ["x".repeat(65)]}),
        json!({"expires_in": -1}),
        json!({"expires_in": 200_000_000}),
        json!({"id": "under_score"}),
        json!({"unknown": true}),
        json!({"scopes": "admin:orgs:read"}),
    ];
    for body in cases {
        let answer = api_post(&app, BOOTSTRAP, path, body.clone()).await;
        assert_api_error(&answer, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    }
    let malformed = app
        .client
        .post(app.url(path))
        .bearer_auth(BOOTSTRAP)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    let (_, created) = api_post(&app, BOOTSTRAP, path, json!({"id": "t1"})).await;
    assert_api_error(
        &api_post(&app, BOOTSTRAP, path, json!({"id": "t1"})).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    );
    for body in [
        json!({"overlap": -1}),
        json!({"overlap": 604_801}),
        json!({"expires_in": 0}),
        json!({"overlap": 5, "extra": 1}),
    ] {
        assert_api_error(
            &api_post(&app, BOOTSTRAP, "/api/admin/tokens/t1/rotate", body).await,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        );
    }
    assert_api_error(
        &api_post(&app, BOOTSTRAP, "/api/admin/tokens/t1/revoke", json!({})).await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    let revoke = json!({"reason": "test"});
    let first = api_post(
        &app,
        BOOTSTRAP,
        "/api/admin/tokens/t1/revoke",
        revoke.clone(),
    )
    .await;
    assert_eq!(first.0, StatusCode::OK);
    assert_eq!(first.1["status"], "revoked");
    assert_api_error(
        &api_post(&app, BOOTSTRAP, "/api/admin/tokens/t1/revoke", revoke).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    );
    assert_api_error(
        &api_post(&app, BOOTSTRAP, "/api/admin/tokens/t1/rotate", json!({})).await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    assert_api_error(
        &api_get(&app, BOOTSTRAP, "/api/admin/tokens/nope").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );

    // Malformed and bad-checksum service tokens are 401 in the envelope.
    let secret = created["secret"].as_str().unwrap();
    let mut bad_checksum = secret.to_owned();
    let tail = if secret.ends_with("zz") { "yy" } else { "zz" };
    bad_checksum.replace_range(secret.len() - 2.., tail);
    for bad in ["gh_st_t1_short", bad_checksum.as_str()] {
        assert_api_error(
            &api_get(&app, bad, path).await,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
        );
    }
    // The revoked token itself is refused, and its use is audited with the reason.
    assert_api_error(
        &api_get(&app, secret, path).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    );
    let used = audit(&app, "service_token.used").await;
    assert!(
        used.iter()
            .any(|e| e.target.as_deref() == Some("service_token:t1")
                && e.details.as_deref().unwrap().contains("revoked")),
        "{used:?}"
    );
    assert_eq!(audit(&app, "service_token.created").await.len(), 1);
}

#[tokio::test]
async fn the_openapi_document_lists_the_token_routes() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/admin/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths["/api/admin/tokens"]["get"].is_object());
    assert!(paths["/api/admin/tokens"]["post"].is_object());
    assert!(paths["/api/admin/tokens/{id}"]["get"].is_object());
    assert!(paths["/api/admin/tokens/{id}/rotate"]["post"].is_object());
    assert!(paths["/api/admin/tokens/{id}/revoke"]["post"].is_object());
}
