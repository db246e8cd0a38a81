//! The authorization code at the token endpoint: single use, bound to its client, redirect URI
//! and PKCE, short-lived; token endpoint errors per RFC 6749 §5.2.
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::oidc::{code_for, token_request};
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{CALLBACK, ServiceOptions, TestService, spawn_app};

#[tokio::test]
async fn an_authorization_code_works_once_and_its_replay_revokes_what_it_issued() {
    // Arrange
    let app = spawn_app().await;
    let (service, rp, request, code) = code_for(&app, ServiceOptions::default(), &["openid"]).await;
    let verifier = request.verifier.secret().clone();
    let tokens = rp.exchange(&code, request.verifier).await;
    let access = access_of(&tokens);
    assert!(rp.userinfo(&access).await.is_ok());

    // Act: the same code again.
    let (status, headers, body) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        rp.userinfo(&access).await.is_err(),
        "the access token from the code is revoked"
    );
    assert!(
        rp.refresh(&refresh_of(&tokens)).await.is_err(),
        "the refresh token from the code is revoked"
    );
}

#[tokio::test]
async fn a_code_exchanged_twice_at_once_issues_once_and_the_replay_revokes_it() {
    let app = spawn_app().await;
    let (service, rp, request, code) = code_for(&app, ServiceOptions::default(), &["openid"]).await;
    let verifier = request.verifier.secret().clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier.as_str()),
    ];

    let (first, second) = tokio::join!(
        token_request(&app, &service, &form),
        token_request(&app, &service, &form)
    );

    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let issued = if first.0 == StatusCode::OK {
        first.2
    } else {
        second.2
    };
    let access = issued["access_token"].as_str().unwrap();
    assert!(
        rp.userinfo(access).await.is_err(),
        "the replay revoked the access token the winner got"
    );
    let refresh = issued["refresh_token"].as_str().unwrap();
    assert!(rp.refresh(refresh).await.is_err(), "and its refresh token");
}

#[tokio::test]
async fn codes_are_bound_to_client_redirect_uri_and_pkce() {
    let app = spawn_app().await;
    let (service, _rp, request, code) =
        code_for(&app, ServiceOptions::default(), &["openid"]).await;
    let other = app.create_service(ServiceOptions::default()).await;
    let verifier = request.verifier.secret().clone();
    let base = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", CALLBACK.to_owned()),
        ]
    };

    let cases: Vec<(&str, &TestService, Vec<(&str, String)>, &str)> = vec![
        (
            "another client",
            &other,
            [base(&code), vec![("code_verifier", verifier.clone())]].concat(),
            "invalid_grant",
        ),
        (
            "other redirect_uri",
            &service,
            vec![
                ("grant_type", "authorization_code".into()),
                ("code", code.clone()),
                ("redirect_uri", "http://127.0.0.1:9/other".into()),
                ("code_verifier", verifier.clone()),
            ],
            "invalid_grant",
        ),
        ("no verifier", &service, base(&code), "invalid_grant"),
        (
            "short verifier",
            &service,
            [base(&code), vec![("code_verifier", "abc".into())]].concat(),
            "invalid_grant",
        ),
        (
            "bad charset",
            &service,
            [
                base(&code),
                vec![("code_verifier", format!("{}!", &verifier[..42]))],
            ]
            .concat(),
            "invalid_grant",
        ),
        (
            "wrong verifier",
            &service,
            [base(&code), vec![("code_verifier", "a".repeat(43))]].concat(),
            "invalid_grant",
        ),
        (
            "unknown code",
            &service,
            [base("nope"), vec![("code_verifier", verifier.clone())]].concat(),
            "invalid_grant",
        ),
        (
            "missing redirect_uri",
            &service,
            vec![
                ("grant_type", "authorization_code".into()),
                ("code", code.clone()),
                ("code_verifier", verifier.clone()),
            ],
            "invalid_request",
        ),
    ];
    for (name, client, form, error) in cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = token_request(&app, client, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(body["error"], error, "{name}: {body}");
    }
    // None of the failures consumed the code.
    let (status, _, body) = token_request(
        &app,
        &service,
        &[base(&code), vec![("code_verifier", verifier)]]
            .concat()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    use gatehouse::store::entities::authorization_codes;
    use sea_orm::{EntityTrait, sea_query::Expr};
    let app = spawn_app().await;
    let (service, _rp, request, code) =
        code_for(&app, ServiceOptions::default(), &["openid"]).await;
    authorization_codes::Entity::update_many()
        .col_expr(
            authorization_codes::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();

    let (status, _, body) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", request.verifier.secret()),
        ],
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc6749() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;
    let url = app.url("/token");

    // Wrong secret with Basic: 401 + WWW-Authenticate.
    let wrong = app
        .client
        .post(&url)
        .basic_auth(&service.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    // Unknown client via client_secret_post.
    let unknown = app
        .client
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nope"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    // No client authentication at all.
    let anonymous = app
        .client
        .post(&url)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let secret = service.secret.clone().unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("client_id", service.client_id.clone()));
        form.push(("client_secret", secret.clone()));
        app.client.post(&url).form(&form).send()
    };
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (vec![], "invalid_request"),
        (
            vec![("grant_type", "password".into())],
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "AUTHORIZATION_CODE".into())],
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "client_credentials".into())],
            "unauthorized_client",
        ),
        (
            vec![("grant_type", "refresh_token".into())],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "refresh_token".into()),
                ("grant_type", "refresh_token".into()),
            ],
            "invalid_request",
        ),
    ];
    for (form, error) in cases {
        let response = post(form.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            error,
            "{form:?}"
        );
    }
    // Both Basic and client_secret_post: refused.
    let both = app
        .client
        .post(&url)
        .basic_auth(&service.client_id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        both.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}
