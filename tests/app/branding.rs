//! Per-organization branding (issue 17): the admin operation and its CLI, the pages and mail
//! of the organization's services, the logo and theme assets, the favicon.
use gatehouse::admin::branding::{BrandingInput, Change, Logo, set_branding};
use gatehouse::admin::{Actor, AdminUser};
use gatehouse::domain::RequestMeta;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{ServiceOptions, TestApp, csrf_of, next_field_of, spawn_app, unique_email};

const LOGO_SVG: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="8" fill="#0b6e4f"/></svg>"##;

/// A first-party service of a fresh org "Acme Corp", and that org's id.
async fn acme(app: &TestApp) -> (crate::helpers::TestService, uuid::Uuid) {
    let service = app.create_service(ServiceOptions::first_party()).await;
    let row = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    (service, row.org_id)
}

async fn login_page_of(app: &TestApp, service: &crate::helpers::TestService) -> String {
    let rp = app.rp(service).await;
    let response = app
        .client
        .get(rp.authorize(&["openid"]).url)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    app.get_html(&location).await
}

async fn audit_actions(
    app: &TestApp,
    action: &str,
) -> Vec<gatehouse::store::entities::audit_events::Model> {
    use gatehouse::store::entities::audit_events::{Column, Entity};
    Entity::find()
        .filter(Column::Action.eq(action))
        .all(&app.db)
        .await
        .unwrap()
}

fn full_input(org_id: uuid::Uuid) -> BrandingInput {
    BrandingInput {
        org_id,
        display_name: Some(Change::Set("Acme Brand".into())),
        logo: Some(Change::Set(Logo::Upload(LOGO_SVG.to_vec()))),
        accent: Some(Change::Set("#0b6e4f".into())),
        support_url: Some(Change::Set("https://acme.example/help".into())),
        privacy_url: Some(Change::Set("https://acme.example/privacy".into())),
        terms_url: None,
    }
}

#[tokio::test]
async fn an_orgs_branding_shows_on_its_services_sign_in_pages_with_safe_assets() {
    let app = spawn_app().await;
    let (service, org_id) = acme(&app).await;
    let view = set_branding(
        &app.state,
        &Actor::Cli,
        &RequestMeta::default(),
        full_input(org_id),
    )
    .await
    .unwrap();
    assert_eq!(view.accent.as_deref(), Some("#0b6e4f"));
    let dark = view.accent_dark.expect("a dark-mode variant");
    assert_ne!(dark, "#0b6e4f");

    let html = login_page_of(&app, &service).await;
    assert!(
        html.contains(r#"<span class="org-name">Acme Brand</span>"#),
        "{html}"
    );
    let logo = regex::Regex::new(r#"<img class="logo" src="([^"]+)""#)
        .unwrap()
        .captures(&html)
        .expect("the logo")[1]
        .to_owned();
    assert!(
        logo.starts_with(&format!("/branding/{org_id}/logo?v=")),
        "{logo}"
    );
    assert!(html.contains(r#"<a href="https://acme.example/help" rel="noopener">Help</a>"#));
    assert!(html.contains("Privacy</a>") && !html.contains("Terms</a>"));
    let theme =
        regex::Regex::new(r#"<link rel="stylesheet" href="(/branding/[^"]+/theme.css[^"]*)""#)
            .unwrap()
            .captures(&html)
            .expect("the accent stylesheet")[1]
            .to_owned();

    // The logo: its own type, no sniffing, and an SVG opened on its own runs nothing.
    let response = app.get(&logo).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), LOGO_SVG);

    let css = app.get(&theme.replace("&amp;", "&")).await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let css = css.text().await.unwrap();
    assert!(
        css.contains("--brand: #0b6e4f") && css.contains(&format!("--brand: {dark}")),
        "{css}"
    );

    // One audit row, by the CLI, on the org.
    let events = audit_actions(&app, "org.branding_updated").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some("cli"));
    assert_eq!(events[0].org_id, Some(org_id));
    assert_eq!(
        events[0].target.as_deref(),
        Some(format!("org:{org_id}").as_str())
    );
}

#[tokio::test]
async fn services_of_an_org_without_branding_show_the_org_name_and_other_orgs_are_untouched() {
    let app = spawn_app().await;
    let (branded, org_id) = acme(&app).await;
    let (plain, _) = acme(&app).await;
    set_branding(
        &app.state,
        &Actor::Cli,
        &RequestMeta::default(),
        full_input(org_id),
    )
    .await
    .unwrap();
    let html = login_page_of(&app, &plain).await;
    assert!(
        html.contains(r#"<span class="org-name">Acme Corp</span>"#),
        "{html}"
    );
    assert!(!html.contains("class=\"logo\"") && !html.contains("theme.css"));
    assert!(login_page_of(&app, &branded).await.contains("Acme Brand"));
}

#[tokio::test]
async fn bad_branding_is_refused_with_the_reason_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, org_id) = acme(&app).await;
    let cases: Vec<(BrandingInput, &str)> = vec![
        (
            BrandingInput {
                accent: Some(Change::Set("#ffcc00".into())),
                ..full_input(org_id)
            },
            "contrast",
        ),
        (
            BrandingInput {
                accent: Some(Change::Set("green".into())),
                ..full_input(org_id)
            },
            "#2f5bea",
        ),
        (
            BrandingInput {
                logo: Some(Change::Set(Logo::Upload(
                    br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#
                        .to_vec(),
                ))),
                ..full_input(org_id)
            },
            "<script",
        ),
        (
            BrandingInput {
                logo: Some(Change::Set(Logo::Upload(b"GIF89a....".to_vec()))),
                ..full_input(org_id)
            },
            "PNG, JPEG, WebP or SVG",
        ),
        (
            BrandingInput {
                logo: Some(Change::Set(Logo::Upload(vec![b' '; 300 * 1024]))),
                ..full_input(org_id)
            },
            "limit is 256 KiB",
        ),
        (
            BrandingInput {
                logo: Some(Change::Set(Logo::Url(
                    "http://acme.example/logo.png".into(),
                ))),
                ..full_input(org_id)
            },
            "https://",
        ),
        (
            BrandingInput {
                support_url: Some(Change::Set("javascript:alert(1)".into())),
                ..full_input(org_id)
            },
            "https://",
        ),
        (
            BrandingInput {
                display_name: Some(Change::Set("   ".into())),
                ..full_input(org_id)
            },
            "display name",
        ),
    ];
    for (input, reason) in cases {
        let err = set_branding(&app.state, &Actor::Cli, &RequestMeta::default(), input)
            .await
            .unwrap_err();
        assert!(
            matches!(err, gatehouse::error::AppError::Invalid { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(reason), "{reason}: {err}");
    }
    assert!(
        gatehouse::store::org_branding::find(&app.db, org_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(audit_actions(&app, "org.branding_updated").await.is_empty());
}

#[tokio::test]
async fn only_admins_of_the_org_may_change_its_branding() {
    let app = spawn_app().await;
    let (_, org_id) = acme(&app).await;
    let (_, other_org) = acme(&app).await;
    let admin_of_other = Actor::User(AdminUser {
        id: uuid::Uuid::new_v4(),
        is_platform_owner: false,
        admin_of: vec![other_org],
    });
    let err = set_branding(
        &app.state,
        &admin_of_other,
        &RequestMeta::default(),
        full_input(org_id),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, gatehouse::error::AppError::Forbidden { .. }),
        "{err:?}"
    );
    assert!(
        gatehouse::store::org_branding::find(&app.db, org_id)
            .await
            .unwrap()
            .is_none()
    );

    let admin = Actor::User(AdminUser {
        id: uuid::Uuid::new_v4(),
        is_platform_owner: false,
        admin_of: vec![org_id],
    });
    let input = BrandingInput {
        org_id,
        display_name: Some(Change::Set("By the admin".into())),
        ..BrandingInput::default()
    };
    set_branding(&app.state, &admin, &RequestMeta::default(), input)
        .await
        .unwrap();
    let events = audit_actions(&app, "org.branding_updated").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].actor.as_deref().unwrap().starts_with("user:"));
}

#[tokio::test]
async fn the_cli_sets_branding_from_a_logo_file_and_clears_it_again() {
    let app = spawn_app().await;
    let (service, org_id) = acme(&app).await;
    let org = gatehouse::store::organizations::find_by_id(&app.db, org_id)
        .await
        .unwrap()
        .unwrap();
    let logo = std::env::temp_dir().join(format!("gatehouse-logo-{org_id}.svg"));
    std::fs::write(&logo, LOGO_SVG).unwrap();
    let (ok, out, _) = cli(
        &app,
        &[
            "org",
            "branding",
            "set",
            "--org",
            &org.slug,
            "--display-name",
            "Acme CLI",
            "--logo",
            logo.to_str().unwrap(),
            "--accent",
            "#0b6e4f",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let view: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(view["display_name"], "Acme CLI");
    assert!(view["logo"].as_str().unwrap().starts_with("uploaded"));
    let html = login_page_of(&app, &service).await;
    assert!(
        html.contains("Acme CLI") && html.contains("class=\"logo\""),
        "{html}"
    );

    let (ok, _, err) = cli(
        &app,
        &[
            "org", "branding", "set", "--org", &org.slug, "--accent", "#eeeeee",
        ],
    )
    .await;
    assert!(!ok && err.contains("contrast"), "{err}");

    let (ok, out, _) = cli(
        &app,
        &[
            "org",
            "branding",
            "set",
            "--org",
            &org.slug,
            "--clear",
            "logo",
            "--clear",
            "display-name",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let html = login_page_of(&app, &service).await;
    assert!(
        !html.contains("class=\"logo\"") && html.contains("Acme Corp"),
        "{html}"
    );
    assert_eq!(audit_actions(&app, "org.branding_updated").await.len(), 2);
}

#[tokio::test]
async fn a_sign_in_link_of_a_branded_service_comes_from_the_org() {
    let app = spawn_app().await;
    let (service, org_id) = acme(&app).await;
    set_branding(
        &app.state,
        &Actor::Cli,
        &RequestMeta::default(),
        full_input(org_id),
    )
    .await
    .unwrap();
    let email = unique_email();
    app.verified_user(&email).await;
    let login = login_page_of(&app, &service).await;
    let next = next_field_of(&login);
    let page = app
        .get_html(&format!(
            "/magic-link?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ))
        .await;
    assert!(page.contains("Acme Brand"), "{page}");
    let sent = app
        .client
        .post(app.url("/magic-link"))
        .form(&[
            ("email", email.as_str()),
            ("next", &next),
            ("csrf_token", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    let mail = app
        .mail
        .wait_for_subject(&email, "Your sign-in link for Acme Web (Acme Brand)", 0)
        .await;
    assert!(
        mail.raw.contains("From: \"Acme Brand\" <") || mail.raw.contains("From: Acme Brand <"),
        "{}",
        mail.raw
    );
    assert!(mail.text().contains("sign in to Acme Web (Acme Brand)"));
    // The signature and footer follow the text part's "-- " line.
    assert!(mail.raw.contains("-- Acme Brand"), "{}", mail.raw);
    assert!(mail.raw.contains("Help: https://acme.example/help"));
}

#[tokio::test]
async fn the_favicon_is_served() {
    let app = spawn_app().await;
    for path in ["/favicon.ico", "/favicon.svg"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], "image/svg+xml");
    }
    let unknown = app
        .get(&format!("/branding/{}/logo", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let html = app.get_html("/login").await;
    assert!(html.contains(r#"<link rel="icon" href="/favicon.svg""#));
}

/// `gatehouse …` against the app's database: (success, stdout, stderr).
async fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    use secrecy::ExposeSecret;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .arg("--json")
        .env(
            "DATABASE_URL",
            app.settings.database.url.as_ref().unwrap().expose_secret(),
        )
        .env(
            "GATEHOUSE_MASTER_KEY",
            app.settings.master_key.as_ref().unwrap().expose_secret(),
        )
        .env("GATEHOUSE_DATA_DIR", &app.settings.data_dir)
        .env("GATEHOUSE_LOG__LEVEL", "error")
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_consent_page_carries_the_orgs_branding_too() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;
    let org_id = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap()
        .org_id;
    set_branding(
        &app.state,
        &Actor::Cli,
        &RequestMeta::default(),
        full_input(org_id),
    )
    .await
    .unwrap();
    let email = unique_email();
    app.verified_user(&email).await;
    let login = login_page_of(&app, &service).await;
    let signed_in = app
        .login_with_next(&login, &email, crate::helpers::PASSWORD)
        .await;
    let back = signed_in.headers()["location"].to_str().unwrap().to_owned();
    let consent = app.get_html(&back).await;
    assert!(
        consent.contains("wants to access your account"),
        "{consent}"
    );
    assert!(consent.contains(r#"<span class="org-name">Acme Brand</span>"#));
    assert!(consent.contains("is run by <strong>Acme Brand</strong>"));
    assert!(consent.contains("/theme.css?v=0b6e4f"));
}
