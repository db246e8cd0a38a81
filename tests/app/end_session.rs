use openidconnect::TokenResponse;
use reqwest::StatusCode;

use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{PASSWORD, ServiceOptions, assert_redirect_to, spawn_app, unique_email};

const SIGNED_OUT: &str = "http://127.0.0.1:9/signed-out";

#[tokio::test]
async fn logout_with_id_token_hint_ends_the_session_and_returns_to_the_client_with_state() {
    // Arrange: a user signed in to a relying app without offline_access.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let (rp, tokens) = app
        .tokens_through_browser(&service, &email, &["openid"])
        .await;
    let id_token = tokens.id_token().unwrap().to_string();

    // Act
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", SIGNED_OUT)
        .append_pair("state", "bye")
        .finish();
    let response = app.get(&format!("/end-session?{query}")).await;

    // Assert
    assert_redirect_to(&response, &format!("{SIGNED_OUT}?state=bye"));
    assert_redirect_to(&app.get("/account").await, "/login?next=/account");
    assert!(
        rp.refresh(&refresh_of(&tokens)).await.is_err(),
        "session-bound refresh tokens end with the session"
    );
    assert!(rp.userinfo(&access_of(&tokens)).await.is_err());
}

#[tokio::test]
async fn offline_access_survives_logout() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let (rp, tokens) = app
        .tokens_through_browser(&service, &email, &["openid", "offline_access"])
        .await;

    app.submit("/account", "/logout", &[]).await;

    assert!(rp.refresh(&refresh_of(&tokens)).await.is_ok());
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_uri_is_refused_without_redirecting() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;

    let response = app
        .get(&format!(
            "/end-session?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            service.client_id
        ))
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn logout_without_a_hint_asks_for_confirmation_first() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let path = format!(
        "/end-session?client_id={}&post_logout_redirect_uri={}&state=s1",
        service.client_id,
        urlencode(SIGNED_OUT)
    );

    let confirm = app.get_html(&path).await;
    assert!(confirm.contains("Sign out?"));
    assert!(
        app.get("/account").await.status() == StatusCode::OK,
        "still signed in until confirmed"
    );
    let done = app
        .submit(
            &path,
            "/end-session/confirm",
            &[
                ("client_id", &service.client_id),
                ("post_logout_redirect_uri", SIGNED_OUT),
                ("state", "s1"),
            ],
        )
        .await;

    assert_redirect_to(&done, &format!("{SIGNED_OUT}?state=s1"));
    assert_redirect_to(&app.get("/account").await, "/login?next=/account");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
