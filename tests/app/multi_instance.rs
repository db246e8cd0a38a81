//! Several instances on one PostgreSQL database. The multi-instance cases skip on SQLite, where
//! one process owns the database file.
use std::sync::Arc;

use std::time::{Duration, Instant};

use gatehouse::admin::{Invalidation, invalidate};
use gatehouse::store::entities::services;
use gatehouse::store::signing_keys::{self, KeyStatus};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{ServiceOptions, TestApp, TestDb, spawn_app, spawn_instance};

pub fn on_postgres() -> bool {
    std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

/// Starts `n` instances on `db` at the same moment; each must start.
pub async fn start_together(db: &Arc<TestDb>, n: usize) -> Vec<TestApp> {
    let handles: Vec<_> = (0..n)
        .map(|_| tokio::spawn(spawn_instance(db.clone(), |_| {})))
        .collect();
    let mut apps = Vec::new();
    for (i, handle) in handles.into_iter().enumerate() {
        match handle.await.expect("start task") {
            Ok(app) => apps.push(app),
            Err(e) => panic!("instance {i} failed to start: {e:#}"),
        }
    }
    apps
}

async fn active_kids(app: &TestApp, alg: &str) -> Vec<String> {
    signing_keys::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.status == KeyStatus::Active && k.alg == alg)
        .map(|k| k.kid)
        .collect()
}

#[tokio::test]
async fn three_instances_started_at_once_on_an_empty_database_share_one_key() {
    if !on_postgres() {
        return;
    }
    let db = Arc::new(TestDb::fresh().await);

    let apps = start_together(&db, 3).await;

    let active = active_kids(&apps[0], "RS256").await;
    assert_eq!(active.len(), 1, "active RS256 keys: {active:?}");
    for app in &apps {
        assert_eq!(app.state.keys.active_kid().as_ref(), Some(&active[0]));
        let jwks = app.jwks().await;
        assert_eq!(jwks["keys"][0]["kid"], active[0].as_str());
    }

    // A first use of another algorithm on every instance at once also yields one key.
    let tasks: Vec<_> = apps
        .iter()
        .map(|app| {
            let state = app.state.clone();
            tokio::spawn(async move { state.keys.ensure_active(&state.db, "ES256").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(active_kids(&apps[0], "ES256").await.len(), 1);
}

#[tokio::test]
async fn the_database_refuses_a_second_active_key_of_one_algorithm() {
    let app = spawn_app().await;

    let second = app
        .state
        .keys
        .generate(&app.db, "RS256", KeyStatus::Active)
        .await;

    assert!(second.is_err(), "a second active RS256 key was stored");
    assert_eq!(active_kids(&app, "RS256").await.len(), 1);
}

/// Polls `check` until it holds; panics after `limit`. Returns how long it took.
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

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

/// Instances A and B on one database, and a `client_credentials` service that B has
/// authenticated once and so caches (for 30 s); returns its client_id and secret.
async fn two_instances_with_a_cached_service() -> (TestApp, TestApp, String, String) {
    let a = spawn_app().await;
    let b = spawn_instance(a.test_db(), |_| {}).await.unwrap();
    let service = a
        .create_service(ServiceOptions {
            grant_types: vec!["client_credentials"],
            ..ServiceOptions::default()
        })
        .await;
    let secret = service.secret.unwrap();
    assert_eq!(
        client_credentials(&b, &service.client_id, &secret).await,
        StatusCode::OK
    );
    (a, b, service.client_id, secret)
}

/// Replaces the service's secret in the database, without telling anyone.
async fn replace_secret(app: &TestApp, client_id: &str) {
    services::Entity::update_many()
        .col_expr(
            services::Column::ClientSecretHash,
            Expr::value(gatehouse::keys::hash_token("a new secret")),
        )
        .filter(services::Column::ClientId.eq(client_id))
        .exec(&app.db)
        .await
        .unwrap();
}

/// Rotates a key on `a`, as an admin operation does (commit, then invalidate), and waits until
/// `b` publishes it.
async fn rotation_on_a_reaches_b_within_a_second(a: &TestApp, b: &TestApp) {
    let next = a
        .state
        .keys
        .rotate(&a.db, chrono::Duration::hours(1))
        .await
        .unwrap();
    invalidate(&a.state, &Invalidation::Keys).await.unwrap();
    within(Duration::from_secs(1), async || {
        let jwks = b.jwks().await;
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == next.kid.as_str())
    })
    .await;
}

#[tokio::test]
async fn a_secret_replaced_on_one_instance_is_refused_by_another_within_a_second() {
    if !on_postgres() {
        return;
    }
    let (a, b, client_id, old_secret) = two_instances_with_a_cached_service().await;

    // Instance A replaces the secret, as an admin operation does: commit, then invalidate.
    replace_secret(&a, &client_id).await;
    invalidate(&a.state, &Invalidation::Service(client_id.clone()))
        .await
        .unwrap();

    within(Duration::from_secs(1), async || {
        client_credentials(&b, &client_id, &old_secret).await == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn a_key_rotated_on_one_instance_is_published_by_another_within_a_second() {
    if !on_postgres() {
        return;
    }
    let a = spawn_app().await;
    let b = spawn_instance(a.test_db(), |_| {}).await.unwrap();

    rotation_on_a_reaches_b_within_a_second(&a, &b).await;
}

#[tokio::test]
async fn after_losing_its_listen_connection_an_instance_flushes_its_caches_and_listens_again() {
    if !on_postgres() {
        return;
    }
    let (a, b, client_id, old_secret) = two_instances_with_a_cached_service().await;

    // Both instances' LISTEN connections drop (as in a database restart or a proxy
    // timeout), and a change is made meanwhile without any notification.
    use sea_orm::ConnectionTrait;
    let killed =
        a.db.execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .unwrap();
    assert!(
        killed.rows_affected() >= 2,
        "listeners: {}",
        killed.rows_affected()
    );
    replace_secret(&a, &client_id).await;

    // B reconnects and flushes: the old secret stops working long before the 30 s TTL...
    within(Duration::from_secs(5), async || {
        client_credentials(&b, &client_id, &old_secret).await == StatusCode::UNAUTHORIZED
    })
    .await;
    // ...and notifications reach it again.
    rotation_on_a_reaches_b_within_a_second(&a, &b).await;
}
