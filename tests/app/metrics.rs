//! `GET /metrics`: sign-ins by method and outcome, tokens by grant, mail delivery failures.
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, spawn_app_with, unique_email};

const TOKEN: &str = "metrics-secret-token";

async fn metrics_text(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn assert_has(text: &str, expected: &str) {
    assert!(text.contains(expected), "missing {expected:?} in\n{text}");
}

#[tokio::test]
async fn sign_ins_are_counted_by_method_and_outcome() {
    // Arrange
    let app = spawn_app_with(|s| {
        s.server.metrics_token = Some(TOKEN.to_owned().into());
        s.rate_limit.login_per_account_per_15_minutes = 3;
    })
    .await;
    let email = unique_email();
    app.verified_user(&email).await;

    // Act: one success, one wrong password, then the account's limit refuses.
    assert_eq!(app.login(&email, PASSWORD).await.status(), 303);
    let other = app.new_device();
    for _ in 0..3 {
        other.login(&email, "not the password at all").await;
    }

    // Assert
    let text = metrics_text(&app).await;
    assert_has(
        &text,
        "gatehouse_sign_ins_total{method=\"password\",outcome=\"success\"} 1\n",
    );
    assert_has(
        &text,
        "gatehouse_sign_ins_total{method=\"password\",outcome=\"failure\"} 2\n",
    );
    assert_has(
        &text,
        "gatehouse_sign_ins_total{method=\"password\",outcome=\"throttled\"} 1\n",
    );
    assert_has(
        &text,
        "gatehouse_sign_ins_total{method=\"passkey\",outcome=\"success\"} 0\n",
    );
}

#[tokio::test]
async fn tokens_are_counted_by_grant() {
    // Arrange
    let app = spawn_app_with(|s| s.server.metrics_token = Some(TOKEN.to_owned().into())).await;
    let service = app
        .create_service(ServiceOptions {
            grant_types: vec!["client_credentials"],
            ..ServiceOptions::default()
        })
        .await;
    let secret = service.secret.unwrap();

    // Act: two tokens, and one refused request that issues none.
    for password in [secret.as_str(), secret.as_str(), "wrong"] {
        app.client
            .post(app.url("/token"))
            .basic_auth(&service.client_id, Some(password))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
    }

    // Assert
    let text = metrics_text(&app).await;
    assert_has(
        &text,
        "gatehouse_tokens_issued_total{grant=\"client_credentials\"} 2\n",
    );
    assert_has(
        &text,
        "gatehouse_tokens_issued_total{grant=\"authorization_code\"} 0\n",
    );
    assert_has(
        &text,
        "gatehouse_mail_delivery_failures_total{final=\"true\"} 0\n",
    );
}
