//! `/admin/keys`: platform owners publish, rotate and retire signing keys; nobody else.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser};
use crate::helpers::spawn_app;
use gatehouse::store::signing_keys::{self, KeyStatus};

async fn keys_with(app: &crate::helpers::TestApp, status: KeyStatus) -> Vec<String> {
    signing_keys::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.status == status)
        .map(|k| k.kid)
        .collect()
}

#[tokio::test]
async fn an_owner_publishes_rotates_and_retires_keys() {
    // Arrange
    let app = spawn_app().await;
    let owner = owner_browser(&app).await;
    let active = keys_with(&app, KeyStatus::Active).await;
    let page = owner.get_html("/admin/keys").await;
    assert!(
        page.contains(&active[0]) && page.contains("active"),
        "{page}"
    );

    // Act + Assert: publish a next key; it is listed and in the JWKS.
    let published = owner
        .post_form(
            "/admin/keys/rotate",
            &page,
            &[("alg", "ES256"), ("when", "later")],
        )
        .await;
    assert_eq!(location(&published), "/admin/keys?done=published");
    let next = keys_with(&app, KeyStatus::Next).await;
    assert_eq!(next.len(), 1);
    let page = owner.get_html("/admin/keys?done=published").await;
    assert!(
        page.contains("A next key is published") && page.contains(&next[0]),
        "{page}"
    );
    assert!(page.contains("signs from"), "{page}");
    assert!(app.jwks().await.to_string().contains(&next[0]));

    // Retire the next key: it never signs.
    let retired = owner
        .post_form(&format!("/admin/keys/{}/retire", next[0]), &page, &[])
        .await;
    assert_eq!(location(&retired), "/admin/keys?done=retired");
    assert!(keys_with(&app, KeyStatus::Retired).await.contains(&next[0]));

    // Rotate now: a new active RS256 key; the old one retires but stays published.
    let rotated = owner
        .post_form(
            "/admin/keys/rotate",
            &page,
            &[("alg", "RS256"), ("when", "now")],
        )
        .await;
    assert_eq!(location(&rotated), "/admin/keys?done=rotated");
    let now_active = keys_with(&app, KeyStatus::Active).await;
    assert!(!now_active.contains(&active[0]), "{now_active:?}");
    assert!(
        keys_with(&app, KeyStatus::Retired)
            .await
            .contains(&active[0])
    );

    // A retired key cannot be retired again without "stop publishing now".
    let again = owner
        .post_form(&format!("/admin/keys/{}/retire", active[0]), &page, &[])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("already retired"));
    let at_once = owner
        .post_form(
            &format!("/admin/keys/{}/retire", active[0]),
            &page,
            &[("immediate", "yes")],
        )
        .await;
    assert_eq!(location(&at_once), "/admin/keys?done=retired");
    assert!(!app.jwks().await.to_string().contains(&active[0]));

    // An unknown algorithm is refused on the page.
    let bad = owner
        .post_form(
            "/admin/keys/rotate",
            &page,
            &[("alg", "HS256"), ("when", "later")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("unsupported signing algorithm")
    );
}

#[tokio::test]
async fn only_platform_owners_reach_the_keys() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    let page = owner.get_html("/admin/keys").await;
    let kid = keys_with(&app, KeyStatus::Active).await.remove(0);
    let admin = member_browser(&app, "acme", &["admin"]).await;
    assert_eq!(
        admin.get("/admin/keys").await.status(),
        StatusCode::FORBIDDEN
    );
    let overview = admin.get_html("/admin").await;
    assert!(
        !overview.contains("/admin/keys"),
        "no link for an org admin"
    );
    // With the admin's own CSRF token, so the refusal is about rights.
    let own_page = admin.get_html("/admin/service-tokens/new").await;
    assert!(page.contains("csrf_token"));
    for action in [
        "/admin/keys/rotate".to_owned(),
        format!("/admin/keys/{kid}/retire"),
    ] {
        let refused = admin
            .post_form(&action, &own_page, &[("when", "now")])
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{action}");
        let body = refused.text().await.unwrap();
        assert!(body.contains("admin:keys:write"), "{body}");
    }
    assert_eq!(keys_with(&app, KeyStatus::Active).await, vec![kid]);
    let member = member_browser(&app, "acme", &["member"]).await;
    assert_eq!(
        member.get("/admin/keys").await.status(),
        StatusCode::FORBIDDEN
    );
    let anonymous = app.new_device().get("/admin/keys").await;
    assert_eq!(location(&anonymous), "/login?next=%2Fadmin%2Fkeys");
}
