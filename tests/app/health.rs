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
