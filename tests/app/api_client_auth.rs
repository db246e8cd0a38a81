//! The JSON sign-in API gives tokens only to a service that authenticates like it would at the
//! token endpoint (RFC 6749 §2.3.1) and that may sign users in this way.
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::mfa::{code, enrolled_user};
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, TestService, spawn_app, unique_email};
use gatehouse::store::entities::{audit_events, refresh_tokens, webauthn_ceremonies};

/// What a sign-in would have changed: refresh families and audit events.
async fn footprint(app: &TestApp) -> (u64, u64) {
    (
        refresh_tokens::Entity::find().count(&app.db).await.unwrap(),
        audit_events::Entity::find().count(&app.db).await.unwrap(),
    )
}

async fn confidential_first_party(app: &TestApp, allow_password_api: bool) -> TestService {
    app.create_service(ServiceOptions {
        allow_password_api,
        ..ServiceOptions::first_party()
    })
    .await
}

async fn post(
    app: &TestApp,
    path: &str,
    basic: Option<(&str, &str)>,
    body: Value,
) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url(path)).json(&body);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_confidential_service_gets_no_tokens_from_the_json_sign_in_without_its_secret() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = confidential_first_party(&app, true).await;
    let id = service.client_id.as_str();
    let secret = service.secret.clone().unwrap();
    let before = footprint(&app).await;
    let login = |extra: Value| {
        let mut body = json!({"email": email, "password": PASSWORD});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };

    let attacks: Vec<(&str, Option<(&str, &str)>, Value)> = vec![
        ("client_id alone", None, json!({"client_id": id})),
        (
            "wrong secret in the body",
            None,
            json!({"client_id": id, "client_secret": "wrong"}),
        ),
        (
            "empty secret in the body",
            None,
            json!({"client_id": id, "client_secret": ""}),
        ),
        ("wrong secret with Basic", Some((id, "wrong")), json!({})),
        ("empty secret with Basic", Some((id, "")), json!({})),
    ];
    for (name, basic, extra) in attacks {
        let (status, body) = post(&app, "/api/auth/login", basic, login(extra)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(body["error_code"], "UNAUTHORIZED", "{name}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("Invalid client credentials"),
            "{name}: {body}"
        );
        assert!(body.get("access_token").is_none(), "{name}");
        assert!(body["timestamp"].is_string(), "{name}");
    }
    let (status, body) = post(
        &app,
        "/api/auth/login",
        Some((id, &secret)),
        login(json!({"client_secret": secret})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "two methods at once: {body}"
    );
    assert_eq!(
        footprint(&app).await,
        before,
        "nothing was issued or recorded"
    );

    // With its secret, by either method, the service signs the person in.
    let (status, body) = post(
        &app,
        "/api/auth/login",
        None,
        login(json!({"client_id": id, "client_secret": secret})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
    let (status, _) = post(
        &app,
        "/api/auth/login",
        Some((id, &secret)),
        login(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn password_sign_in_through_the_json_api_needs_the_services_opt_in() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let confidential = confidential_first_party(&app, false).await;
    let public = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::first_party()
        })
        .await;
    let before = footprint(&app).await;

    let refusals = [
        (
            "confidential, authenticated",
            json!({"email": email, "password": PASSWORD, "client_id": confidential.client_id, "client_secret": confidential.secret}),
        ),
        (
            "public",
            json!({"email": email, "password": PASSWORD, "client_id": public.client_id}),
        ),
    ];
    for (name, body) in refusals {
        let (status, body) = post(&app, "/api/auth/login", None, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {body}");
        assert_eq!(body["error_code"], "FORBIDDEN");
        assert_eq!(
            body["error"],
            "This service has not enabled password sign-in through the JSON API: use the authorization code flow",
            "{name}"
        );
    }
    assert_eq!(
        footprint(&app).await,
        before,
        "nothing was issued or recorded"
    );

    // The operator opts the service in (`gatehouse service allow-password-api`).
    gatehouse::admin::services::update(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        &Default::default(),
        &public.client_id,
        gatehouse::admin::services::ServiceUpdate {
            allow_password_api: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.state.clients.invalidate(&public.client_id);
    let (status, _) = post(
        &app,
        "/api/auth/login",
        None,
        json!({"email": email, "password": PASSWORD, "client_id": public.client_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let third_party = app.create_service(ServiceOptions::default()).await;
    assert!(
        gatehouse::admin::services::update(
            &app.state,
            &gatehouse::admin::Actor::Cli,
            &Default::default(),
            &third_party.client_id,
            gatehouse::admin::services::ServiceUpdate {
                allow_password_api: Some(true),
                ..Default::default()
            },
        )
        .await
        .is_err(),
        "a third-party service cannot opt in"
    );

    // The built-in service has it on, so the JSON API works as before without a client_id.
    let (status, _) = post(
        &app,
        "/api/auth/login",
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_service_registered_only_for_machine_tokens_cannot_sign_users_in() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let machine = app
        .create_service(ServiceOptions {
            grant_types: vec!["client_credentials"],
            redirect_uris: vec![],
            allow_password_api: true,
            ..ServiceOptions::first_party()
        })
        .await;
    let before = footprint(&app).await;

    let (status, body) = post(
        &app,
        "/api/auth/login",
        Some((&machine.client_id, machine.secret.as_deref().unwrap())),
        json!({"email": email, "password": PASSWORD}),
    )
    .await;

    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not allowed to sign users in"),
        "{body}"
    );
    assert_eq!(footprint(&app).await, before);
}

#[tokio::test]
async fn the_second_factor_step_needs_the_confidential_services_secret_again() {
    let app = spawn_app().await;
    let (email, totp, _) = enrolled_user(&app).await;
    let service = confidential_first_party(&app, true).await;
    let id = service.client_id.as_str();
    let secret = service.secret.clone().unwrap();
    let (status, first) = post(
        &app,
        "/api/auth/login",
        None,
        json!({"email": email, "password": PASSWORD, "client_id": id, "client_secret": secret}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let preauth = first["access_token"].as_str().unwrap().to_owned();
    // Another service to borrow credentials from; created (and audited) before the count.
    let other = confidential_first_party(&app, true).await;
    let before = footprint(&app).await;
    let attacks: Vec<(&str, Option<(&str, &str)>, Value)> = vec![
        ("no client authentication", None, json!({})),
        (
            "wrong secret",
            None,
            json!({"client_id": id, "client_secret": "wrong"}),
        ),
        (
            "another service's credentials",
            Some((&other.client_id, other.secret.as_deref().unwrap())),
            json!({}),
        ),
    ];
    for (name, basic, extra) in attacks {
        let mut body = json!({"preauth_token": preauth, "code": code(&totp, 0)});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, body) = post(&app, "/api/auth/mfa/verify", basic, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("Invalid client credentials"),
            "{name}: {body}"
        );
    }
    assert_eq!(footprint(&app).await, before, "the ticket was not touched");

    let (status, tokens) = post(
        &app,
        "/api/auth/mfa/verify",
        Some((id, &secret)),
        json!({"preauth_token": preauth, "code": code(&totp, 1)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(tokens["access_token"].is_string());
}

#[tokio::test]
async fn a_passkey_sign_in_for_a_confidential_service_needs_its_secret_before_the_ceremony_is_used()
{
    let app = crate::passkeys::localhost_app().await;
    let service = confidential_first_party(&app, false).await;
    let (status, started) = post(&app, "/auth/passkeys/authenticate/start", None, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let challenge = started["challenge_id"].as_str().unwrap().to_owned();

    let (status, body) = post(
        &app,
        "/auth/passkeys/authenticate/finish",
        None,
        json!({
            "challenge_id": challenge,
            "credential": crate::passkeys::malformed_assertion("AAAA"),
            "client_id": service.client_id,
        }),
    )
    .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid client credentials"),
        "{body}"
    );
    let ceremony =
        webauthn_ceremonies::Entity::find_by_id(challenge.parse::<uuid::Uuid>().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .expect("the ceremony is still there");
    assert!(ceremony.used_at.is_none(), "and not used up");
}
