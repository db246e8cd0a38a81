//! Refresh tokens: rotation, reuse detection, session binding, narrowing scopes.
use reqwest::StatusCode;

use crate::helpers::oidc::{code_for, token_request, tokens_for};
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{ServiceOptions, spawn_app};

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
async fn a_refresh_token_presented_many_times_at_once_rotates_once() {
    let app = spawn_app().await;
    let (_service, rp, tokens) = tokens_for(&app, &["openid", "offline_access"]).await;
    let first = refresh_of(&tokens);
    let attempts = futures_util::future::join_all((0..8).map(|_| rp.refresh(&first))).await;
    let rotated: Vec<_> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(rotated.len(), 1, "exactly one rotation wins");
    for refused in attempts.iter().filter_map(|a| a.as_ref().err()) {
        assert!(refused.contains("invalid_grant"), "{refused}");
    }
    // One new token was stored, and none for the refused attempts.
    let stored = gatehouse::store::refresh_tokens::find(
        &app.db,
        &gatehouse::keys::hash_token(&refresh_of(rotated[0])),
    )
    .await
    .unwrap();
    assert!(stored.is_some());
    let old = gatehouse::store::refresh_tokens::find(&app.db, &gatehouse::keys::hash_token(&first))
        .await
        .unwrap()
        .unwrap();
    assert!(old.used_at.is_some());
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
