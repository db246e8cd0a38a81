use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::rp::refresh_of;
use crate::helpers::{PASSWORD, ServiceOptions, spawn_app, unique_email};

#[tokio::test]
async fn json_login_refresh_me_and_logout() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    // Act: sign in with the built-in first-party service.
    let login = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let tokens: Value = login.json().await.unwrap();

    // Assert
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(tokens["last_login_method"], "password");
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(me["last_login_method"], "password");

    let refreshed = app
        .post_json(
            "/api/auth/refresh",
            json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    let reused = app
        .post_json(
            "/api/auth/refresh",
            json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["error"], "Invalid refresh token");
    assert_eq!(body["error_code"], "UNAUTHORIZED");

    let again: Value = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let access = again["access_token"].as_str().unwrap();
    let logout = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let after = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let stale = app
        .post_json(
            "/api/auth/refresh",
            json!({"refresh_token": again["refresh_token"]}),
        )
        .await;
    assert_eq!(
        stale.status(),
        StatusCode::UNAUTHORIZED,
        "logout revoked the refresh family"
    );
}

#[tokio::test]
async fn json_login_answers_401_for_bad_credentials_and_403_when_blocked() {
    let app = spawn_app().await;
    let verified = unique_email();
    app.verified_user(&verified).await;
    let unverified = unique_email();
    app.register(&unverified, PASSWORD).await;
    let third_party = app.create_service(ServiceOptions::default()).await;

    let wrong = app
        .post_json(
            "/api/auth/login",
            json!({"email": verified, "password": "nope nope"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/auth/login",
            json!({"email": "ghost@example.com", "password": "nope nope"}),
        )
        .await;
    let blocked = app
        .post_json(
            "/api/auth/login",
            json!({"email": unverified, "password": PASSWORD}),
        )
        .await;
    let not_first_party = app
        .post_json(
            "/api/auth/login",
            json!({"email": verified, "password": PASSWORD, "client_id": third_party.client_id, "client_secret": third_party.secret}),
        )
        .await;

    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (a, b): (Value, Value) = (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(a["error"], b["error"]);
    assert_eq!(a["error"], "Invalid email or password");
    assert_eq!(blocked.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        blocked.json::<Value>().await.unwrap()["error_code"],
        "EMAIL_NOT_VERIFIED"
    );
    assert_eq!(not_first_party.status(), StatusCode::FORBIDDEN);
    let missing = app
        .client
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "Missing or invalid Authorization header"
    );
}

#[tokio::test]
async fn a_third_party_or_confidential_refresh_token_is_refreshed_only_at_the_token_endpoint() {
    // A confidential app's refresh token needs the app's secret (RFC 6749 §6); the JSON API,
    // which takes no client authentication, must not refresh it.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let (rp, tokens) = app
        .tokens_through_browser(&service, &email, &["openid", "offline_access"])
        .await;
    let refresh = refresh_of(&tokens);

    let response = app
        .post_json("/api/auth/refresh", json!({ "refresh_token": refresh }))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "FORBIDDEN");
    assert!(body.get("access_token").is_none());
    // Nothing was used up: the app itself still refreshes with its secret.
    let refreshed = rp.refresh(&refresh).await.unwrap();
    assert_ne!(refresh_of(&refreshed), refresh);

    // A confidential first-party app's token needs its secret just the same.
    let first_party = app.create_service(ServiceOptions::first_party()).await;
    let (_, tokens) = app
        .tokens_through_browser(&first_party, &email, &["openid", "offline_access"])
        .await;
    let response = app
        .post_json(
            "/api/auth/refresh",
            json!({ "refresh_token": refresh_of(&tokens) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
