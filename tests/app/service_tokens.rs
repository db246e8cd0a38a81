//! Service tokens (issue 15 items 5 to 7): the CLI, rotation with overlap, revocation, bad
//! input, introspection and RFC 8693 token exchange verified by a consumer with the JWKS only.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

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
    use secrecy::ExposeSecret;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .arg("--json")
        .env(
            "DATABASE_URL",
            app.settings.database.url.as_ref().unwrap().expose_secret(),
        )
        .env(
            "GATEHOUSE_MASTER_KEY",
            app.settings.master_key.as_ref().unwrap().expose_secret(),
        )
        .env("GATEHOUSE_DATA_DIR", &app.settings.data_dir)
        .env("GATEHOUSE_LOG__LEVEL", "error")
        .output()
        .await
        .unwrap();
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
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
    audit_events::list_for_action(&app.db, action).await.unwrap()
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
        &["token", "revoke", "ci-deploy", "--reason", "leaked in a log"],
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
    assert!(events[0].details.as_deref().unwrap().contains("leaked in a log"));

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
    assert_eq!(introspect(&app, &service, &old).await, json!({"active": false}));
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
    assert_eq!(introspect(&app, &service, secret).await, json!({"active": false}));

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
    cli(&app, &["token", "create", "--id", "taken"]).await.unwrap();
    let cases: [(&[&str], &str); 12] = [
        (&["--scope", "admin:everything"], "unknown scope"),
        (&["--scope", "workflows:read"], "unknown scope"),
        (&["--workspace", "ws analytics"], "invalid workspace"),
        (&["--workspace", "ws/1"], "invalid workspace"),
        (&["--expires-in", "-5"], "expires_in must be between"),
        (&["--expires-in", "0"], "expires_in must be between"),
        (&["--expires-in", "999999999999"], "expires_in must be between"),
        (&["--id", "bad_id"], "token id"),
        (&["--id", "550e8400-e29b-41d4-a716-446655440000"], "token id"),
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
    let created = cli(&app, &["token", "create", "--id", "svc"]).await.unwrap();
    let secret = created["secret"].as_str().unwrap();

    let missing = exchange_with(&app, &service, &[("subject_token_type", SERVICE_TOKEN_TYPE)]).await;
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
    for bad in [
        "not-a-token",
        "gh_st_svc_0123456789",
        bad_checksum.as_str(),
        &format!("{}x", &secret[..secret.len() - 1]),
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
