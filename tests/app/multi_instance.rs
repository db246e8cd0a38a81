//! Several instances on one PostgreSQL database. The multi-instance cases skip on SQLite, where
//! one process owns the database file.
use std::sync::Arc;

use gatehouse::store::signing_keys::{self, KeyStatus};

use crate::helpers::{TestApp, TestDb, spawn_app, spawn_instance};

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
        let jwks: serde_json::Value = app
            .get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap();
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
