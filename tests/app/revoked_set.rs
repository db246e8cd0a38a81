//! The in-memory deny-list of access tokens: a revoked JWT is inactive at once on the instance
//! that revoked it, within a second on the others (PostgreSQL), and on an instance started later.
use std::time::{Duration, Instant};

use crate::helpers::{ServiceOptions, TestApp, TestService, spawn_app, spawn_instance};
use crate::multi_instance::on_postgres;

async fn machine_token(app: &TestApp, service: &TestService) -> String {
    let body: serde_json::Value = app
        .client
        .post(app.url("/token"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn active(app: &TestApp, service: &TestService, token: &str) -> bool {
    let body: serde_json::Value = app
        .client
        .post(app.url("/introspect"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["active"].as_bool().unwrap()
}

#[tokio::test]
async fn a_revoked_jwt_is_inactive_at_once_here_soon_elsewhere_and_after_a_restart() {
    // Arrange
    let a = spawn_app().await;
    let service = a
        .create_service(ServiceOptions {
            grant_types: vec!["client_credentials"],
            ..ServiceOptions::default()
        })
        .await;
    let token = machine_token(&a, &service).await;
    let other = machine_token(&a, &service).await;
    let b = if on_postgres() {
        // Test instances each have their own issuer URL, so B is asked through its state.
        let b = spawn_instance(a.test_db(), |_| {}).await.unwrap();
        assert!(!b.state.revoked.contains(&jti_of(&token)));
        Some(b)
    } else {
        None
    };
    assert!(active(&a, &service, &token).await);

    // Act
    let revoked = a
        .client
        .post(a.url("/revoke"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[
            ("token", token.as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    // Assert: at once on A; the other token is untouched.
    assert!(!active(&a, &service, &token).await);
    assert!(active(&a, &service, &other).await);
    if let Some(b) = &b {
        let start = Instant::now();
        while !b.state.revoked.contains(&jti_of(&token)) {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "B still accepts it"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!b.state.revoked.contains(&jti_of(&other)));
    }
    // An instance started now loads the deny-list from the database.
    if on_postgres() {
        let c = spawn_instance(a.test_db(), |_| {}).await.unwrap();
        assert!(c.state.revoked.contains(&jti_of(&token)));
        assert!(!c.state.revoked.contains(&jti_of(&other)));
    } else {
        let reloaded = gatehouse::oidc::revoked_set::RevokedSet::load(&a.db)
            .await
            .unwrap();
        assert!(reloaded.contains(&jti_of(&token)));
        assert_eq!(reloaded.len(), 1);
    }
}

fn jti_of(jwt: &str) -> String {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}
