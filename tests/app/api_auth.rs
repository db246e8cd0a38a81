use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, unique_email};

fn assert_envelope(body: &Value, code: &str, message: &str) {
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["error"], message, "{body}");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn json_register_then_verify_email_by_link() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();

    // Act
    let response = app
        .post_json(
            "/api/auth/register",
            json!({"email": email, "password": "securepassword123", "org_slug": "acme"}),
        )
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Registration successful. Please check your email to verify your account."
    );
    let link = app.mail.wait_for(&email).await.link();
    let token = link.split("token=").nth(1).unwrap();
    let verified = app.get(&format!("/auth/verify-email?token={token}")).await;
    assert_eq!(verified.status(), StatusCode::OK);
    assert!(
        verified.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let again: Value = app
        .get(&format!("/auth/verify-email?token={token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_envelope(
        &again,
        "BAD_REQUEST",
        "Verification token has already been used",
    );
}

#[tokio::test]
async fn json_register_rejects_bad_input_with_the_envelope() {
    let app = spawn_app().await;
    let email = unique_email();
    app.post_json(
        "/api/auth/register",
        json!({"email": email, "password": "securepassword123"}),
    )
    .await;

    let cases = [
        (
            json!({"email": "nope", "password": "securepassword123"}),
            "Invalid email format",
        ),
        (
            json!({"email": unique_email(), "password": "short"}),
            "Password must be at least 8 characters",
        ),
        (
            json!({"email": email, "password": "securepassword123"}),
            "User with this email already exists",
        ),
    ];
    for (body, message) in cases {
        let response = app.post_json("/api/auth/register", body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_envelope(&response.json().await.unwrap(), "BAD_REQUEST", message);
    }
    let malformed = app
        .client
        .post(app.url("/api/auth/register"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error_code"], "BAD_REQUEST");
}

#[tokio::test]
async fn json_forgot_and_reset_password() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    let known: Value = app
        .post_json("/api/auth/forgot-password", json!({"email": email}))
        .await
        .json()
        .await
        .unwrap();
    let unknown: Value = app
        .post_json(
            "/api/auth/forgot-password",
            json!({"email": "ghost@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(known, unknown);
    assert_eq!(
        known["message"],
        "If an account with that email exists, a password reset link has been sent."
    );

    let link = app.mail.wait_for_nth(&email, 2).await.link();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let weak = app
        .post_json(
            "/api/auth/reset-password",
            json!({"token": token, "new_password": "short"}),
        )
        .await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let reset = app
        .post_json(
            "/api/auth/reset-password",
            json!({"token": token, "new_password": "newsecurepassword456"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    let body: Value = reset.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Password has been reset successfully. Please log in with your new password."
    );
    let reused = app
        .post_json(
            "/api/auth/reset-password",
            json!({"token": token, "new_password": "newsecurepassword789"}),
        )
        .await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert_envelope(
        &reused.json().await.unwrap(),
        "BAD_REQUEST",
        "Reset token has already been used",
    );
    let unknown_token = app
        .post_json(
            "/api/auth/reset-password",
            json!({"token": "nope", "new_password": "newsecurepassword789"}),
        )
        .await;
    assert_envelope(
        &unknown_token.json().await.unwrap(),
        "BAD_REQUEST",
        "Invalid reset token",
    );
}

#[tokio::test]
async fn security_events_are_audited() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, "wrong password").await;
    app.login(&email, crate::helpers::PASSWORD).await;

    let actions: Vec<(String, String)> = gatehouse::store::audit_events::list_recent(&app.db, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.outcome))
        .collect();

    for expected in [
        ("user.registered", "success"),
        ("user.email_verified", "success"),
        ("user.login", "failure"),
        ("user.login", "success"),
    ] {
        assert!(
            actions.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {actions:?}"
        );
    }
}
