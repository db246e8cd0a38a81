//! Rate limits shared by several instances (`rate_limit.backend = "postgres" | "redis"`): a
//! sign-in budget spread over two instances is refused at the global count.
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with, spawn_instance, unique_email};
use crate::multi_instance::on_postgres;
use gatehouse::config::Settings;

const BUDGET: u32 = 4;

async fn wrong_sign_in(app: &TestApp, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email, "password": "not the password 123" }))
        .send()
        .await
        .unwrap()
}

/// Sends the budget's worth of wrong sign-ins alternately to `a` and `b` (each 401), then one
/// more to each; returns those two last statuses.
async fn spend_budget_across(a: &TestApp, b: &TestApp) -> (StatusCode, StatusCode) {
    let email = unique_email();
    for i in 0..BUDGET {
        let app = if i % 2 == 0 { a } else { b };
        assert_eq!(
            wrong_sign_in(app, &email).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let on_a = wrong_sign_in(a, &email).await;
    if on_a.status() == StatusCode::TOO_MANY_REQUESTS {
        let retry: u64 = on_a.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
    }
    (on_a.status(), wrong_sign_in(b, &email).await.status())
}

fn limited(backend: &str, prefix: &str) -> impl FnOnce(&mut Settings) {
    let (backend, prefix) = (backend.to_owned(), prefix.to_owned());
    move |s: &mut Settings| {
        s.rate_limit.login_per_account_per_15_minutes = BUDGET;
        s.rate_limit.backend = backend;
        s.rate_limit.key_prefix = prefix;
        s.rate_limit.redis_url = Some("redis://127.0.0.1:6379/0".to_owned().into());
    }
}

#[tokio::test]
async fn two_instances_on_one_postgresql_share_a_sign_in_budget() {
    if !on_postgres() {
        return;
    }
    let a = spawn_app_with(limited("postgres", "")).await;
    let b = spawn_instance(a.test_db(), limited("postgres", ""))
        .await
        .unwrap();

    let (on_a, on_b) = spend_budget_across(&a, &b).await;

    assert_eq!(on_a, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(on_b, StatusCode::TOO_MANY_REQUESTS);

    // Control: in memory each instance counts alone and lets the next attempt through.
    let c = spawn_app_with(limited("memory", "")).await;
    let d = spawn_instance(c.test_db(), limited("memory", ""))
        .await
        .unwrap();
    assert_eq!(
        spend_budget_across(&c, &d).await,
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn two_instances_share_a_sign_in_budget_through_redis() {
    // A prefix of its own: other tests and runs on the same Redis do not interfere.
    let prefix = format!("gatehouse-test:{}:", uuid::Uuid::new_v4().simple());
    let a = spawn_app_with(limited("redis", &prefix)).await;
    let b = spawn_app_with(limited("redis", &prefix)).await;

    let (on_a, on_b) = spend_budget_across(&a, &b).await;

    assert_eq!(on_a, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(on_b, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_shared_backend_is_refused_without_what_it_needs() {
    let app = spawn_app_with(|_| {}).await;
    let mut redis = app.settings.clone();
    redis.rate_limit.backend = "redis".into();
    redis.rate_limit.redis_url = None;
    let mut unknown = app.settings.clone();
    unknown.rate_limit.backend = "memcached".into();

    let redis_error = redis.validate().unwrap_err().to_string();
    let unknown_error = unknown.validate().unwrap_err().to_string();

    assert!(
        redis_error.contains("GATEHOUSE_RATE_LIMIT__REDIS_URL"),
        "{redis_error}"
    );
    assert!(
        unknown_error.contains("memory, postgres or redis"),
        "{unknown_error}"
    );
}
