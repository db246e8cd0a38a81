use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let health = app.get("/healthz").await;
    let ready = app.get("/readyz").await;

    // Assert
    assert_eq!(health.status(), 200);
    assert_eq!(ready.status(), 200);
    assert_eq!(health.headers()["x-frame-options"], "DENY");
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn unknown_paths_get_a_page_or_the_json_envelope() {
    let app = spawn_app().await;

    let page = app.get("/no-such-page").await;
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Page not found"));

    let api = app.get("/api/no-such-endpoint").await;
    assert_eq!(api.status(), 404);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error_code"], "NOT_FOUND");
    assert!(body["timestamp"].is_string());
}

#[tokio::test]
async fn readiness_reports_pending_migrations() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    // As if this binary were newer than the schema: its last migration is not applied.
    app.db
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = \
             (SELECT MAX(version) FROM seaql_migrations)",
        )
        .await
        .unwrap();

    let ready = app.get("/readyz").await;

    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "migrations pending");
}

#[tokio::test]
async fn readiness_answers_503_quickly_when_the_database_is_gone() {
    let app = spawn_app().await;
    // Closing the pool shared by the app: every query now fails.
    app.db.clone().close().await.unwrap();

    let started = std::time::Instant::now();
    let ready = app.get("/readyz").await;

    assert_eq!(ready.status(), 503);
    assert!(ready.text().await.unwrap().contains("database unreachable"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_continues_the_callers_trace() {
    let app = spawn_app().await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";

    let traced = app
        .client
        .get(app.url("/healthz"))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    let plain = app.get("/no-such-page").await;

    let id = traced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 16);
    assert_eq!(
        traced.headers()["traceparent"].to_str().unwrap(),
        format!("00-{trace}-{id}-01")
    );
    let other = plain.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(other, id);
    assert!(
        !plain.headers()["traceparent"]
            .to_str()
            .unwrap()
            .contains(trace)
    );
}

#[tokio::test]
async fn metrics_need_the_configured_token_and_count_requests_by_route() {
    let without = spawn_app().await;
    assert_eq!(without.get("/metrics").await.status(), 404);

    let app = crate::helpers::spawn_app_with(|s| {
        s.server.metrics_token = Some("metrics-secret-token".to_owned().into());
        s.rate_limit.login_per_account_per_15_minutes = 1;
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-secret-tokeX")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    app.get("/healthz").await;
    app.get("/no-such-page").await;
    for _ in 0..2 {
        app.client
            .post(app.url("/api/auth/login"))
            .json(&serde_json::json!({"email": "x@example.com", "password": "wrong password 1"}))
            .send()
            .await
            .unwrap();
    }

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-secret-token")
        .send()
        .await
        .unwrap();

    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for expected in [
        "gatehouse_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "gatehouse_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        "gatehouse_http_requests_total{route=\"/api/auth/login\",status=\"429\"} 1",
        "gatehouse_http_request_duration_seconds_count{route=\"/healthz\"} 1",
        "gatehouse_rate_limit_refusals_total{limit=\"login_per_account_and_network\"} 1",
        "gatehouse_mail_queue_depth ",
        "gatehouse_db_pool_connections{state=\"idle\"} ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}
