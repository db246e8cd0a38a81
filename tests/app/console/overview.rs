//! The console overview: numbers, the sign-in chart, what an org admin may see.
use reqwest::StatusCode;

use super::{member_browser, owner_browser};
use crate::helpers::{ServiceOptions, spawn_app, unique_email};

fn stat(html: &str, id: &str) -> u64 {
    let marker = format!(r#"id="{id}">"#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{id} in {html}"))
        + marker.len();
    html[start..].split('<').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_owner_sees_sign_ins_failures_sessions_mail_keys_and_the_chart() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    // A wrong password: a failed attempt of an existing account.
    let failed = app.new_device();
    failed.get_html("/login").await;
    let (_, user) = super::signed_in_user(&app).await;
    failed.login(&user.email, "wrong password entirely").await;
    let owner = owner_browser(&app).await;

    let html = owner.get_html("/admin").await;

    assert!(stat(&html, "stat-sign-ins") >= 3, "three sign-ins: {html}");
    assert!(stat(&html, "stat-failures") >= 1);
    assert!(stat(&html, "stat-sessions") >= 3);
    stat(&html, "stat-mail");
    assert!(
        html.contains(r#"<svg id="sign-in-chart""#) && html.contains("<title id=\"chart-title\">")
    );
    assert!(
        html.contains(r#"<rect class="ok""#) && html.contains(r#"<rect class="failed""#),
        "bars drawn"
    );
    assert!(
        html.contains(r#"<table class="visually-hidden">"#),
        "the chart's table"
    );
    assert!(html.contains(r#"id="overview-keys""#), "owners see keys");
    assert!(html.contains("Add your first app") && html.contains(r#"href="/admin/services/new""#));
    assert!(html.contains("/admin/orgs/acme"));
    drop(admin);

    // With an app, the prompt goes.
    app.create_service(ServiceOptions::default()).await;
    assert!(
        !owner
            .get_html("/admin")
            .await
            .contains("Add your first app")
    );
}

#[tokio::test]
async fn an_org_admin_sees_their_orgs_and_their_members_numbers_only() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("beta", "Beta").await;
    // Someone outside acme signs in: not counted for acme's admin.
    let (_, outsider) = super::signed_in_user(&app).await;
    let admin = member_browser(&app, "acme", &["admin"]).await;

    let html = admin.get_html("/admin").await;

    assert_eq!(
        stat(&html, "stat-sign-ins"),
        1,
        "only the admin's own sign-in"
    );
    assert_eq!(stat(&html, "stat-sessions"), 1);
    assert!(!html.contains(r#"id="stat-mail""#) && !html.contains(r#"id="overview-keys""#));
    assert!(html.contains("/admin/orgs/acme") && !html.contains("/admin/orgs/beta"));
    assert!(!html.contains(&outsider.email));
    assert!(
        html.contains("(admin)"),
        "the org's admins are listed: {html}"
    );
    let _ = unique_email();
    assert_eq!(
        app.new_device().get("/admin").await.status(),
        StatusCode::SEE_OTHER
    );
}
