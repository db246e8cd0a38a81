//! The client_credentials grant.
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::oidc::token_request;
use crate::helpers::{ServiceOptions, spawn_app};

#[tokio::test]
async fn client_credentials_issues_a_token_whose_subject_is_the_client() {
    let app = spawn_app().await;
    let service = app
        .create_service(ServiceOptions {
            grant_types: vec!["client_credentials"],
            redirect_uris: vec![],
            scopes: vec!["reports:read", "reports:write"],
            ..ServiceOptions::default()
        })
        .await;

    let (status, headers, body) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "reports:read"),
        ],
    )
    .await;
    let (bad_status, _, bad) = token_request(
        &app,
        &service,
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "reports:read");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let claims = app
        .state
        .keys
        .verify::<Value>(
            body["access_token"].as_str().unwrap(),
            jsonwebtoken::Validation {
                validate_aud: false,
                ..Default::default()
            },
        )
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], service.client_id);
    assert_eq!(bad_status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"], "invalid_scope");
    let public = app
        .create_service(ServiceOptions {
            public: true,
            grant_types: vec!["authorization_code"],
            ..ServiceOptions::default()
        })
        .await;
    let response = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", public.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
}
