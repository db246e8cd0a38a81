//! Userinfo, revocation and introspection.
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::oidc::{token_request, tokens_for};
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{ServiceOptions, spawn_app};

#[tokio::test]
async fn revoked_tokens_fail_at_userinfo_and_introspect_as_inactive() {
    let app = spawn_app().await;
    let (service, rp, tokens) = tokens_for(&app, &["openid", "offline_access"]).await;
    let access = access_of(&tokens);
    let refresh = refresh_of(&tokens);
    let introspect = |token: String| {
        let service = &service;
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url("/introspect"))
                .basic_auth(&service.client_id, service.secret.as_deref())
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };

    let live = introspect(access.clone()).await;
    assert_eq!(live["active"], true);
    assert_eq!(live["client_id"], service.client_id);
    assert_eq!(introspect(refresh.clone()).await["active"], true);
    assert_eq!(
        introspect("garbage".into()).await,
        serde_json::json!({"active": false})
    );

    let revoke = |token: String| {
        app.client
            .post(app.url("/revoke"))
            .basic_auth(&service.client_id, service.secret.as_deref())
            .form(&[("token", token)])
            .send()
    };
    assert_eq!(
        revoke(access.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        revoke("unknown-token".into()).await.unwrap().status(),
        StatusCode::OK,
        "RFC 7009 §2.2"
    );
    let userinfo = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    assert!(
        userinfo.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    assert_eq!(introspect(access).await["active"], false);

    assert_eq!(
        revoke(refresh.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(introspect(refresh.clone()).await["active"], false);
    assert!(rp.refresh(&refresh).await.is_err());
}

#[tokio::test]
async fn introspection_needs_an_authenticated_confidential_client() {
    let app = spawn_app().await;
    let public = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::default()
        })
        .await;

    let anonymous = app
        .client
        .post(app.url("/introspect"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    let as_public = app
        .client
        .post(app.url("/introspect"))
        .form(&[("token", "x"), ("client_id", public.client_id.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(as_public.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn userinfo_refuses_missing_malformed_and_id_tokens() {
    let app = spawn_app().await;
    let (_service, _rp, tokens) = tokens_for(&app, &["openid"]).await;
    let id_token = openidconnect::TokenResponse::id_token(&tokens)
        .unwrap()
        .to_string();

    for (name, request) in [
        ("missing", app.client.get(app.url("/userinfo"))),
        (
            "garbage",
            app.client
                .get(app.url("/userinfo"))
                .bearer_auth("abc.def.ghi"),
        ),
        (
            "an ID token",
            app.client.get(app.url("/userinfo")).bearer_auth(&id_token),
        ),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{name}"
        );
    }
    let post = app
        .client
        .post(app.url("/userinfo"))
        .form(&[("access_token", access_of(&tokens))])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::OK);
}

#[tokio::test]
async fn userinfo_answers_insufficient_scope_for_a_token_without_openid() {
    let app = spawn_app().await;
    // A refresh narrowed to `email`: the access token is good, but not for userinfo.
    let (service, _rp, tokens) = tokens_for(&app, &["openid", "email", "offline_access"]).await;
    let refresh = refresh_of(&tokens);
    let (status, _, tokens) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("scope", "email"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["scope"], "email");
    let response = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
}
