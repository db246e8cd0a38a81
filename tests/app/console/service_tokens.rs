//! `/admin/service-tokens`: create (secret shown once, works on the admin API), rotate,
//! revoke with a reason; org admins on their own org's tokens only.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser};
use crate::helpers::{TestApp, spawn_app};

fn secret_of(html: &str) -> String {
    let re = regex::Regex::new(r#"id="secret"[^>]*>([^<]+)</pre>"#).unwrap();
    re.captures(html).expect("page shows a secret")[1]
        .trim()
        .to_owned()
}

async fn api_status(app: &TestApp, secret: &str, path: &str) -> StatusCode {
    app.client
        .get(app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
}

/// Creates a token through the console form; returns the response.
async fn create(browser: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let form = browser.get_html("/admin/service-tokens/new").await;
    browser
        .post_form("/admin/service-tokens", &form, fields)
        .await
}

#[tokio::test]
async fn an_owner_creates_a_token_whose_secret_shows_once_works_and_dies_when_revoked() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;

    // Act
    let response = create(
        &owner,
        &[
            ("id", "ci-deploy"),
            ("org", ""),
            ("scope:admin:orgs:read", "on"),
            ("workspaces", "prod, staging"),
            ("expires", "30"),
        ],
    )
    .await;

    // Assert: the secret, once, with a copy button; it works on the admin API.
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"].to_str().unwrap(),
        "no-store"
    );
    let shown = response.text().await.unwrap();
    let secret = secret_of(&shown);
    assert!(secret.starts_with("gh_st_"), "{secret}");
    assert!(shown.contains("data-copy=\"secret\""), "{shown}");
    assert_eq!(
        api_status(&app, &secret, "/api/admin/orgs").await,
        StatusCode::OK
    );
    let list = owner.get_html("/admin/service-tokens").await;
    assert!(
        list.contains("ci-deploy") && list.contains("admin:orgs:read"),
        "{list}"
    );
    assert!(
        list.contains("prod, staging") && list.contains("active"),
        "{list}"
    );
    assert!(!list.contains(&secret), "the list never shows a secret");

    // A revoke without a reason is refused next to the field; with one, the token is dead.
    let refused = owner
        .post_form(
            "/admin/service-tokens/ci-deploy/revoke",
            &list,
            &[("reason", " ")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("a reason") && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    let revoked = owner
        .post_form(
            "/admin/service-tokens/ci-deploy/revoke",
            &list,
            &[("reason", "leaked in a CI log")],
        )
        .await;
    assert_eq!(location(&revoked), "/admin/service-tokens?done=revoked");
    assert_eq!(
        api_status(&app, &secret, "/api/admin/orgs").await,
        StatusCode::UNAUTHORIZED
    );
    let list = owner.get_html("/admin/service-tokens?done=revoked").await;
    assert!(
        list.contains("leaked in a CI log") && list.contains("revoked"),
        "{list}"
    );
}

#[tokio::test]
async fn rotating_shows_the_new_secret_once_and_ends_the_old_after_the_overlap() {
    // Arrange
    let app = spawn_app().await;
    let owner = owner_browser(&app).await;
    let shown = create(
        &owner,
        &[
            ("id", "ops"),
            ("scope:admin:orgs:read", "on"),
            ("expires", "0"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    let old = secret_of(&shown);
    let list = owner.get_html("/admin/service-tokens").await;

    // Act: rotate with no overlap.
    let rotated = owner
        .post_form(
            "/admin/service-tokens/ops/rotate",
            &list,
            &[("overlap", "0")],
        )
        .await;

    // Assert
    assert_eq!(rotated.status(), StatusCode::OK);
    let html = rotated.text().await.unwrap();
    assert!(html.contains("old secret stopped working"), "{html}");
    let new = secret_of(&html);
    assert_ne!(new, old);
    assert_eq!(
        api_status(&app, &new, "/api/admin/orgs").await,
        StatusCode::OK
    );
    assert_eq!(
        api_status(&app, &old, "/api/admin/orgs").await,
        StatusCode::UNAUTHORIZED
    );

    // With an overlap, the old secret keeps working and the page says until when.
    let html = owner
        .post_form(
            "/admin/service-tokens/ops/rotate",
            &list,
            &[("overlap", "3600")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("keeps working until"), "{html}");
    assert_eq!(
        api_status(&app, &new, "/api/admin/orgs").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_input_is_refused_next_to_its_field_with_what_was_typed() {
    let app = spawn_app().await;
    let owner = owner_browser(&app).await;
    let none = create(&owner, &[("id", "keep-me"), ("workspaces", "a")]).await;
    assert_eq!(none.status(), StatusCode::BAD_REQUEST);
    let html = none.text().await.unwrap();
    assert!(
        html.contains("Choose at least one scope") && html.contains("value=\"keep-me\""),
        "{html}"
    );
    let bad = create(
        &owner,
        &[
            ("id", "ws"),
            ("scope:admin:orgs:read", "on"),
            ("workspaces", "not ok!"),
        ],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let html = bad.text().await.unwrap();
    assert!(html.contains("id=\"workspaces-error\""), "{html}");
    assert!(html.contains("value=\"not ok!\""), "{html}");
    create(&owner, &[("id", "twice"), ("scope:admin:orgs:read", "on")]).await;
    let again = create(&owner, &[("id", "twice"), ("scope:admin:orgs:read", "on")]).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("id=\"id-error\""));
}

#[tokio::test]
async fn org_admins_manage_their_orgs_tokens_only_members_and_strangers_are_refused() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    let owner = owner_browser(&app).await;
    create(
        &owner,
        &[
            ("id", "globex-ci"),
            ("org", "globex"),
            ("scope:admin:services:read", "on"),
        ],
    )
    .await;
    let admin = member_browser(&app, "acme", &["admin"]).await;

    // Act: the org admin creates one for their org.
    let form = admin.get_html("/admin/service-tokens/new").await;
    assert!(!form.contains("Platform-wide"), "{form}");
    assert!(
        !form.contains("admin:keys:write"),
        "no scope they do not hold: {form}"
    );
    let made = admin
        .post_form(
            "/admin/service-tokens",
            &form,
            &[
                ("id", "acme-ci"),
                ("org", "acme"),
                ("scope:admin:services:read", "on"),
            ],
        )
        .await;
    assert_eq!(made.status(), StatusCode::OK);
    let secret = secret_of(&made.text().await.unwrap());
    assert_eq!(
        api_status(&app, &secret, "/api/admin/orgs/acme/services").await,
        StatusCode::OK
    );

    // Assert: their list has their token only; another org's is 403 everywhere.
    let list = admin.get_html("/admin/service-tokens").await;
    assert!(
        list.contains("acme-ci") && !list.contains("globex-ci"),
        "{list}"
    );
    for action in ["revoke", "rotate"] {
        let refused = admin
            .post_form(
                &format!("/admin/service-tokens/globex-ci/{action}"),
                &list,
                &[("reason", "not mine"), ("overlap", "0")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let other_org = admin
        .post_form(
            "/admin/service-tokens",
            &form,
            &[("org", "globex"), ("scope:admin:services:read", "on")],
        )
        .await;
    assert_eq!(other_org.status(), StatusCode::FORBIDDEN);
    let platform = admin
        .post_form(
            "/admin/service-tokens",
            &form,
            &[("scope:admin:services:read", "on")],
        )
        .await;
    assert_eq!(platform.status(), StatusCode::BAD_REQUEST);

    let member = member_browser(&app, "acme", &["member"]).await;
    for path in ["/admin/service-tokens", "/admin/service-tokens/new"] {
        assert_eq!(
            member.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let anonymous = app.new_device().get(path).await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&anonymous).starts_with("/login?next="), "{path}");
    }
}
