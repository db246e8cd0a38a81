//! Refresh-token families have an absolute lifetime (`tokens.refresh_absolute_days`) besides
//! the sliding one: rotation cannot keep a family alive forever.
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::oidc::code_for;
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, spawn_app_with, unique_email};
use gatehouse::store::entities::refresh_tokens;

async fn family_rows(app: &TestApp, family: uuid::Uuid) -> Vec<refresh_tokens::Model> {
    refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .all(&app.db)
        .await
        .unwrap()
}

async fn row_of(app: &TestApp, raw: &str) -> refresh_tokens::Model {
    gatehouse::store::refresh_tokens::find(&app.db, &gatehouse::keys::hash_token(raw))
        .await
        .unwrap()
        .unwrap()
}

/// The family started `days` ago (time passing, without waiting for it).
async fn age_family(app: &TestApp, family: uuid::Uuid, days: i64) {
    let started = chrono::Utc::now() - chrono::Duration::days(days);
    refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::FamilyCreatedAt,
            Expr::value(started),
        )
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn rotation_keeps_the_familys_start_and_never_slides_past_its_absolute_end() {
    let app = spawn_app_with(|s| s.tokens.refresh_absolute_days = 2).await;
    let (_service, rp, request, code) = code_for(
        &app,
        ServiceOptions::default(),
        &["openid", "offline_access"],
    )
    .await;
    let tokens = rp.exchange(&code, request.verifier).await;
    let first = row_of(&app, &refresh_of(&tokens)).await;
    // The service's sliding lifetime (30 days) is longer than the absolute one.
    assert_eq!(
        first.expires_at,
        first.family_created_at + chrono::Duration::days(2)
    );

    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();

    let second = row_of(&app, &refresh_of(&refreshed)).await;
    assert_eq!(second.family_id, first.family_id);
    assert_eq!(second.family_created_at, first.family_created_at);
    assert_eq!(
        second.expires_at,
        first.family_created_at + chrono::Duration::days(2)
    );
}

#[tokio::test]
async fn a_refresh_past_the_absolute_lifetime_is_refused_and_revokes_the_family() {
    let app = spawn_app_with(|s| s.tokens.refresh_absolute_days = 2).await;
    let (service, rp, request, code) = code_for(
        &app,
        ServiceOptions::default(),
        &["openid", "offline_access"],
    )
    .await;
    let tokens = rp.exchange(&code, request.verifier).await;
    // Rotated the day before: its sliding period has barely started.
    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();
    let family = row_of(&app, &refresh_of(&refreshed)).await.family_id;
    age_family(&app, family, 3).await;
    let issued_before = family_rows(&app, family).await.len();

    let refused = app
        .client
        .post(app.url("/token"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_of(&refreshed).as_str()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("more than 2 days old"),
        "{body}"
    );
    let rows = family_rows(&app, family).await;
    assert_eq!(rows.len(), issued_before, "no new token was issued");
    assert!(
        rows.iter().all(|r| r.revoked_at.is_some()),
        "the family is revoked"
    );
    assert!(
        rp.userinfo(&access_of(&refreshed)).await.is_err(),
        "with the access token it issued"
    );
}

#[tokio::test]
async fn the_json_refresh_answers_token_expired_past_the_absolute_lifetime() {
    let app = spawn_app_with(|s| s.tokens.refresh_absolute_days = 2).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let tokens: Value = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let raw = tokens["refresh_token"].as_str().unwrap();
    let family = row_of(&app, raw).await.family_id;
    age_family(&app, family, 3).await;

    let response = app
        .post_json("/api/auth/refresh", json!({"refresh_token": raw}))
        .await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "TOKEN_EXPIRED");
    assert!(body.get("access_token").is_none());
    assert!(
        family_rows(&app, family)
            .await
            .iter()
            .all(|r| r.revoked_at.is_some())
    );
}
