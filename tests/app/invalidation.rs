//! Admin operations carry their cache invalidation in their own transaction (PostgreSQL
//! `NOTIFY` delivered at commit): another instance honours the change within a second.
use std::time::{Duration, Instant};

use gatehouse::admin::Actor;
use gatehouse::admin::services::{RotateSecret, rotate_secret};
use gatehouse::domain::RequestMeta;
use reqwest::StatusCode;

use crate::helpers::{ServiceOptions, TestApp, spawn_app, spawn_instance};
use crate::multi_instance::on_postgres;

async fn client_credentials(app: &TestApp, client_id: &str, secret: &str) -> StatusCode {
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
async fn a_secret_rotated_by_an_admin_operation_is_refused_by_another_instance_within_a_second() {
    if !on_postgres() {
        return;
    }
    // Arrange: B has the service cached (30 s TTL); a bystander listens on the channel.
    let a = spawn_app().await;
    let b = spawn_instance(a.test_db(), |_| {}).await.unwrap();
    let service = a
        .create_service(ServiceOptions {
            grant_types: vec!["client_credentials"],
            ..ServiceOptions::default()
        })
        .await;
    let old = service.secret.unwrap();
    assert_eq!(
        client_credentials(&b, &service.client_id, &old).await,
        StatusCode::OK
    );
    let mut bystander = gatehouse::store::notify::listen(&a.db)
        .await
        .unwrap()
        .unwrap();

    // Act: the admin layer's own operation, as the API and console call it.
    let rotated = rotate_secret(
        &a.state,
        &Actor::Cli,
        &RequestMeta::default(),
        &service.client_id,
        RotateSecret { overlap_secs: 0 },
    )
    .await
    .unwrap();

    // Assert: the notification came with the commit, and B follows within a second.
    let note = tokio::time::timeout(Duration::from_secs(1), bystander.recv())
        .await
        .expect("notified")
        .unwrap();
    assert_eq!(note.payload(), format!("service:{}", service.client_id));
    let start = Instant::now();
    while client_credentials(&b, &service.client_id, &old).await != StatusCode::UNAUTHORIZED {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "B still accepts the old secret"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        client_credentials(&b, &service.client_id, &rotated.client_secret).await,
        StatusCode::OK
    );
}
