use openidconnect::core::CoreTokenResponse;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::rp::{AuthRequest, RelyingParty, access_of, callback_params, refresh_of};
use crate::helpers::{CALLBACK, ServiceOptions, TestApp, TestService, spawn_app, unique_email};

/// A signed-in user, a confidential service and the code the browser brought back.
pub(crate) async fn code_for(
    app: &TestApp,
    options: ServiceOptions,
    scopes: &[&str],
) -> (TestService, RelyingParty, AuthRequest, String) {
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app
        .create_service(ServiceOptions {
            first_party: true,
            ..options
        })
        .await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(scopes);
    let code = callback_params(
        &app.authorize_in_browser(&request.url, &email, "approve")
            .await,
    )["code"]
        .clone();
    (service, rp, request, code)
}

pub(crate) async fn tokens_for(
    app: &TestApp,
    scopes: &[&str],
) -> (TestService, RelyingParty, CoreTokenResponse) {
    let (service, rp, request, code) = code_for(app, ServiceOptions::default(), scopes).await;
    let tokens = rp.exchange(&code, request.verifier).await;
    (service, rp, tokens)
}

async fn token_request(
    app: &TestApp,
    service: &TestService,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = app
        .client
        .post(app.url("/token"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

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

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family() {
    let app = spawn_app().await;
    let (_service, rp, tokens) = tokens_for(&app, &["openid", "offline_access"]).await;
    let first = refresh_of(&tokens);

    let second = rp.refresh(&first).await.unwrap();
    let second_refresh = refresh_of(&second);
    assert_ne!(first, second_refresh, "rotated");
    assert!(rp.userinfo(&access_of(&second)).await.is_ok());

    // The old token again: refused, and the whole family dies.
    assert!(
        rp.refresh(&first)
            .await
            .unwrap_err()
            .contains("invalid_grant")
    );
    assert!(
        rp.refresh(&second_refresh).await.is_err(),
        "the newer token of the family is revoked too"
    );
    assert!(
        rp.userinfo(&access_of(&second)).await.is_err(),
        "and its access token"
    );
    let audit =
        gatehouse::store::audit_events::list_for_action(&app.db, "oauth.refresh_token_reused")
            .await
            .unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn without_offline_access_refresh_ends_with_the_sign_in_session() {
    use gatehouse::store::entities::browser_sessions;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app().await;
    let (_service, rp, tokens) = tokens_for(&app, &["openid"]).await;
    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();

    // The browser session expires (no sign-out): the family must not slide on for ever.
    browser_sessions::Entity::update_many()
        .col_expr(
            browser_sessions::Column::ExpiresAt,
            Expr::value(gatehouse::store::now() - chrono::Duration::minutes(1)),
        )
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .exec(&app.db)
        .await
        .unwrap();
    let ended = rp.refresh(&refresh_of(&refreshed)).await.unwrap_err();
    assert!(ended.contains("invalid_grant"), "{ended}");
    assert!(
        rp.userinfo(&access_of(&refreshed)).await.is_err(),
        "the family's access token is revoked with it"
    );
}

#[tokio::test]
async fn a_code_exchanged_after_its_session_ended_gives_a_refresh_token_that_does_not_work() {
    let app = spawn_app().await;
    let (_service, rp, request, code) =
        code_for(&app, ServiceOptions::default(), &["openid"]).await;
    app.submit("/account", "/logout", &[]).await;

    let tokens = rp.exchange(&code, request.verifier).await;
    let refused = rp.refresh(&refresh_of(&tokens)).await.unwrap_err();
    assert!(refused.contains("invalid_grant"), "{refused}");
}

#[tokio::test]
async fn refreshed_scopes_can_only_narrow() {
    let app = spawn_app().await;
    let (service, _rp, tokens) = tokens_for(&app, &["openid", "email", "offline_access"]).await;

    let (status, _, wider) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_of(&tokens)),
            ("scope", "openid email profile"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(wider["error"], "invalid_scope");
    let (status, _, narrower) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_of(&tokens)),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{narrower}");
    assert_eq!(narrower["scope"], "openid");
}

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

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_they_expire() {
    let app = spawn_app().await;
    let (_service, rp, tokens) = tokens_for(&app, &["openid", "offline_access"]).await;
    let old_kid = app.state.keys.active_kid().unwrap();

    // Rotate with no delay, as `gatehouse keys rotate --delay-secs 0` does.
    let next = app
        .state
        .keys
        .rotate(&app.db, chrono::Duration::zero())
        .await
        .unwrap();
    assert!(
        app.state
            .keys
            .promote_due(&app.db, chrono::Duration::hours(1))
            .await
            .unwrap()
    );

    assert_eq!(app.state.keys.active_kid().unwrap(), next.kid);
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&next.kid.as_str()),
        "{kids:?}"
    );
    assert!(
        rp.userinfo(&access_of(&tokens)).await.is_ok(),
        "a token signed by the retired key still works"
    );
    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();
    let header = jsonwebtoken::decode_header(access_of(&refreshed)).unwrap();
    assert_eq!(header.kid.unwrap(), next.kid, "new tokens use the new key");
    let listed: Vec<(String, String)> = app
        .state
        .keys
        .list()
        .into_iter()
        .map(|k| (k.kid, k.status))
        .collect();
    assert!(listed.contains(&(old_kid, "retired".into())));
}
