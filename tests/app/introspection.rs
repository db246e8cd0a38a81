//! Introspection (RFC 7662) answers `active: false` for every token the resource server must no
//! longer accept, not only for revoked ones.
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::Value;

use crate::helpers::oidc::{code_for, tokens_for};
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{ServiceOptions, TestApp, TestService, spawn_app};

async fn introspect(app: &TestApp, service: &TestService, token: &str) -> Value {
    let response = app
        .client
        .post(app.url("/introspect"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn refresh_row(app: &TestApp, raw: &str) -> gatehouse::store::refresh_tokens::RefreshToken {
    gatehouse::store::refresh_tokens::find(&app.db, &gatehouse::keys::hash_token(raw))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn tokens_of_a_disabled_user_introspect_as_inactive() {
    let app = spawn_app().await;
    let (service, _rp, tokens) = tokens_for(&app, &["openid", "offline_access"]).await;
    let (access, refresh) = (access_of(&tokens), refresh_of(&tokens));
    assert_eq!(introspect(&app, &service, &access).await["active"], true);
    assert_eq!(introspect(&app, &service, &refresh).await["active"], true);
    let row = refresh_row(&app, &refresh).await;

    // An administrator disables the account.
    let user = gatehouse::store::entities::users::Entity::find_by_id(row.user_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut user: gatehouse::store::entities::users::ActiveModel = user.into();
    user.status = Set("disabled".into());
    user.update(&app.db).await.unwrap();

    assert_eq!(
        introspect(&app, &service, &access).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&app, &service, &refresh).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        refresh_row(&app, &refresh).await,
        row,
        "introspection changes nothing"
    );
}

#[tokio::test]
async fn session_bound_tokens_introspect_as_inactive_once_their_session_ended() {
    // A code exchanged after the person signed out still gives tokens (the app may be late),
    // but they belong to a sign-in session that is over.
    let app = spawn_app().await;
    let (service, rp, request, code) = code_for(&app, ServiceOptions::default(), &["openid"]).await;
    app.submit("/account", "/logout", &[]).await;

    let tokens = rp.exchange(&code, request.verifier).await;
    let (access, refresh) = (access_of(&tokens), refresh_of(&tokens));
    let row = refresh_row(&app, &refresh).await;

    assert_eq!(
        introspect(&app, &service, &access).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&app, &service, &refresh).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        refresh_row(&app, &refresh).await,
        row,
        "introspection changes nothing"
    );
}

#[tokio::test]
async fn offline_tokens_stay_active_after_the_sign_in_session_ends() {
    // offline_access asks for access beyond the browser session (OIDC Core §11).
    let app = spawn_app().await;
    let (service, rp, request, code) = code_for(
        &app,
        ServiceOptions::default(),
        &["openid", "offline_access"],
    )
    .await;
    let tokens = rp.exchange(&code, request.verifier).await;
    app.submit("/account", "/logout", &[]).await;

    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();

    assert_eq!(
        introspect(&app, &service, &access_of(&refreshed)).await["active"],
        true
    );
    assert_eq!(
        introspect(&app, &service, &refresh_of(&refreshed)).await["active"],
        true
    );
}

#[tokio::test]
async fn userinfo_refuses_a_session_bound_access_token_once_its_session_ended() {
    // The same rule as introspection, in userinfo's single query.
    let app = spawn_app().await;
    let (_service, rp, request, code) =
        code_for(&app, ServiceOptions::default(), &["openid"]).await;
    app.submit("/account", "/logout", &[]).await;
    let tokens = rp.exchange(&code, request.verifier).await;

    let response = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(access_of(&tokens))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    // An offline token keeps working after the session (OIDC Core §11).
    let (_service, rp, request, code) = code_for(
        &app,
        ServiceOptions::default(),
        &["openid", "offline_access"],
    )
    .await;
    let offline = rp.exchange(&code, request.verifier).await;
    app.submit("/account", "/logout", &[]).await;
    let refreshed = rp.refresh(&refresh_of(&offline)).await.unwrap();
    assert!(rp.userinfo(&access_of(&refreshed)).await.is_ok());
}
