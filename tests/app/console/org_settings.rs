//! The organization settings pages of the console: mail server (with routing of the org's mail
//! and the test mail), own provider credentials, branding. Every route is tried as owner, own-org
//! admin, other-org admin, member and signed out.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser, signed_in_user};
use crate::helpers::{ServiceOptions, SmtpSink, TestApp, csrf_of, spawn_app, unique_email};

const SMTP_PASSWORD: &str = "org-smtp-pa55word-7f3a";
const PROVIDER_SECRET: &str = "gh-client-secret-9d2c";

const PAGES: [&str; 3] = ["smtp", "providers", "branding"];

/// A `multipart/form-data` body as a browser sends it: text fields, then an optional file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----gatehouse-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, filename, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_branding(
    browser: &TestApp,
    slug: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> reqwest::Response {
    let page = browser
        .get_html(&format!("/admin/orgs/{slug}/branding"))
        .await;
    let csrf = csrf_of(&page);
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let (content_type, body) = multipart(&all, file);
    browser
        .client
        .post(browser.url(&format!("/admin/orgs/{slug}/branding")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn smtp_fields<'a>(sink: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("host", "127.0.0.1"),
        ("port", sink),
        ("tls_mode", "none"),
        ("username", "mailer"),
        ("password", password),
        ("from_address", "no-reply@acme.example"),
        ("from_name", "Acme Mail"),
    ]
}

#[tokio::test]
async fn every_settings_page_admits_owners_and_own_org_admins_only() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("other", "Other").await;
    let owner = owner_browser(&app).await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let other_admin = member_browser(&app, "other", &["admin"]).await;
    let member = member_browser(&app, "acme", &["member"]).await;
    let signed_out = app.new_device();
    for page in PAGES {
        let path = format!("/admin/orgs/acme/{page}");
        assert_eq!(owner.get(&path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(admin.get(&path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(
            other_admin.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            member.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let response = signed_out.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
        assert_eq!(
            admin
                .get(&format!("/admin/orgs/nope/{page}"))
                .await
                .status(),
            StatusCode::NOT_FOUND,
        );
    }
    // Forms posted to another organization's pages with a valid token of one's own.
    let own = other_admin.get_html("/admin/orgs/other/smtp").await;
    for action in [
        "/admin/orgs/acme/smtp",
        "/admin/orgs/acme/smtp/test",
        "/admin/orgs/acme/smtp/remove",
        "/admin/orgs/acme/providers",
        "/admin/orgs/acme/providers/remove",
    ] {
        let response = other_admin
            .post_form(
                action,
                &own,
                &[("provider", "github"), ("to", "x@example.com")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
        let response = signed_out
            .client
            .post(app.url(action))
            .form(&[("csrf_token", "x")])
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::OK, "{action}");
    }
    let response = post_branding(&other_admin, "other", &[], None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let csrf = csrf_of(&own);
    let (content_type, body) =
        multipart(&[("csrf_token", &csrf), ("display_name", "Hijack")], None);
    let response = other_admin
        .client
        .post(app.url("/admin/orgs/acme/branding"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_org_admin_sets_a_mail_server_whose_password_is_never_shown_and_the_test_mail_arrives_there()
 {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let org_sink = SmtpSink::start().await;
    let port = org_sink.port.to_string();
    let (admin, user) = signed_in_user(&app).await;
    let org = gatehouse::store::organizations::find_by_slug(&app.db, "acme")
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &["admin".to_owned()])
        .await
        .unwrap();

    let page = admin.get_html("/admin/orgs/acme/smtp").await;
    assert!(page.contains("Platform mail server"), "{page}");
    let response = admin
        .post_form(
            "/admin/orgs/acme/smtp",
            &page,
            &smtp_fields(&port, SMTP_PASSWORD),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/orgs/acme/smtp?done=saved");
    let page = admin.get_html("/admin/orgs/acme/smtp?done=saved").await;
    assert!(page.contains("Mail server saved"), "{page}");
    assert!(page.contains("A password is saved"), "{page}");
    assert!(!page.contains(SMTP_PASSWORD));
    let row = gatehouse::store::org_smtp::find(&app.db, org.id)
        .await
        .unwrap()
        .expect("saved");
    let sealed = row.password_sealed.expect("a sealed password");
    assert!(!sealed.contains(SMTP_PASSWORD));

    // Saved again without a password: the stored one stays.
    let response = admin
        .post_form("/admin/orgs/acme/smtp", &page, &smtp_fields(&port, ""))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let page = admin.get_html("/admin/orgs/acme/smtp").await;
    let response = admin
        .post_form("/admin/orgs/acme/smtp/test", &page, &[("to", &user.email)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Test mail sent to"), "{html}");
    let mail = org_sink.wait_for(&user.email).await;
    assert_eq!(mail.subject(), "Gatehouse test mail");
    assert!(mail.raw.contains("no-reply@acme.example"), "{}", mail.raw);
    assert_eq!(org_sink.auths(), vec![format!("mailer\0{SMTP_PASSWORD}")]);
    assert!(
        app.mail
            .messages_to(&user.email)
            .iter()
            .all(|m| m.subject() != "Gatehouse test mail")
    );

    // Nothing secret in the audit trail.
    use gatehouse::store::entities::audit_events::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let events = Entity::find()
        .filter(Column::Action.is_in(["org.smtp_set", "org.smtp_tested"]))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|e| !format!("{e:?}").contains(SMTP_PASSWORD))
    );

    // Removed: back to the platform's server, and the page says so.
    let response = admin
        .post_form("/admin/orgs/acme/smtp/remove", &page, &[])
        .await;
    assert_eq!(location(&response), "/admin/orgs/acme/smtp?done=removed");
    let page = admin.get_html("/admin/orgs/acme/smtp?done=removed").await;
    assert!(page.contains("Platform mail server"), "{page}");
    assert!(
        gatehouse::store::org_smtp::find(&app.db, org.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn bad_mail_settings_and_a_failing_server_are_explained_in_plain_words() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    let page = owner.get_html("/admin/orgs/acme/smtp").await;
    let mut fields = smtp_fields("not-a-port", "typed-secret-value");
    fields[0] = ("host", "smtp.acme.example");
    let response = owner
        .post_form("/admin/orgs/acme/smtp", &page, &fields)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="port-error""#), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#));
    assert!(
        html.contains(r#"value="smtp.acme.example""#),
        "typed input kept"
    );
    assert!(
        !html.contains("typed-secret-value"),
        "never a password back"
    );
    let response = owner
        .post_form(
            "/admin/orgs/acme/smtp",
            &page,
            &[
                ("host", "127.0.0.1"),
                ("port", "25"),
                ("tls_mode", "none"),
                ("from_address", "nope"),
            ],
        )
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="from_address-error""#), "{html}");

    // A server that is not there: the test mail says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let response = owner
        .post_form("/admin/orgs/acme/smtp", &page, &smtp_fields(&port, ""))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = owner.get_html("/admin/orgs/acme/smtp").await;
    let response = owner
        .post_form(
            "/admin/orgs/acme/smtp/test",
            &page,
            &[("to", "someone@example.com")],
        )
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("The test mail was not sent."), "{html}");
    assert!(html.contains(&format!("127.0.0.1:{port}")), "{html}");
    let response = owner
        .post_form(
            "/admin/orgs/acme/smtp/test",
            &page,
            &[("to", "not an address")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains(r#"id="to-error""#));
}

#[tokio::test]
async fn mail_of_an_orgs_people_goes_through_its_server_and_other_mail_through_the_platforms() {
    let app = spawn_app().await;
    let org_sink = SmtpSink::start().await;
    let org = app.create_org("acme", "Acme").await;
    gatehouse::admin::org_smtp::set(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        &Default::default(),
        "acme",
        &gatehouse::admin::org_smtp::SmtpInput {
            host: "127.0.0.1".into(),
            port: org_sink.port.to_string(),
            tls_mode: "none".into(),
            from_address: "no-reply@acme.example".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // A person whose only organization is Acme: a password reset goes through Acme's server.
    let insider = unique_email();
    app.verified_user(&insider).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &insider.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &["member".to_owned()])
        .await
        .unwrap();
    let browser = app.new_device();
    browser
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", &insider)],
        )
        .await;
    let mail = org_sink
        .wait_for_subject(&insider, "Reset your password", 0)
        .await;
    assert!(mail.raw.contains("no-reply@acme.example"));

    // Someone of no organization: the platform's server.
    let outsider = unique_email();
    app.verified_user(&outsider).await;
    let before = app.mail.messages_to(&outsider).len();
    browser
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", &outsider)],
        )
        .await;
    app.mail
        .wait_for_subject(&outsider, "Reset your password", before)
        .await;
    assert!(org_sink.messages_to(&outsider).is_empty());

    // Mail caused by a sign-in through one of Acme's services (its brand) goes through Acme's
    // server whoever receives it.
    let brand = gatehouse::branding::Brand::of_org(&app.state, org.id, "Acme").await;
    let email = gatehouse::domain::Email::parse(&outsider).unwrap();
    gatehouse::auth::magic_link::request(
        &app.state,
        &email,
        None,
        "Acme Web",
        Some(&brand),
        true,
        &Default::default(),
    )
    .await
    .unwrap();
    org_sink.wait_for(&outsider).await;

    // Removed: the insider's mail goes through the platform's server again (cache dropped).
    gatehouse::admin::org_smtp::remove(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        &Default::default(),
        "acme",
    )
    .await
    .unwrap();
    let before = app.mail.messages_to(&insider).len();
    browser
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", &insider)],
        )
        .await;
    app.mail
        .wait_for_subject(&insider, "Reset your password", before)
        .await;
    assert_eq!(org_sink.messages_to(&insider).len(), 1);
}

#[tokio::test]
async fn an_org_admin_sets_its_own_provider_credentials_and_the_secret_is_never_shown() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let page = admin.get_html("/admin/orgs/acme/providers").await;
    let callback = format!("{}/auth/github/callback", app.address);
    assert!(page.contains(&callback), "{page}");
    let fields = [
        ("provider", "github"),
        ("client_id", "Iv1.acme-app"),
        ("client_secret", PROVIDER_SECRET),
        ("enabled", "on"),
        ("auto_link", "on"),
    ];
    let response = admin
        .post_form("/admin/orgs/acme/providers", &page, &fields)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/orgs/acme/providers?done=saved");
    let page = admin
        .get_html("/admin/orgs/acme/providers?done=saved&edit=github")
        .await;
    assert!(page.contains("Provider saved"), "{page}");
    assert!(page.contains("Iv1.acme-app"));
    assert!(page.contains("A secret is saved"), "{page}");
    assert!(!page.contains(PROVIDER_SECRET));

    // The same client id without a secret keeps it; a new client id needs its secret.
    let response = admin
        .post_form(
            "/admin/orgs/acme/providers",
            &page,
            &[
                ("provider", "github"),
                ("client_id", "Iv1.acme-app"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let views =
        gatehouse::admin::providers::list_org(&app.state, &gatehouse::admin::Actor::Cli, "acme")
            .await
            .unwrap();
    assert!(views[0].has_secret && !views[0].auto_link);
    let response = admin
        .post_form(
            "/admin/orgs/acme/providers",
            &page,
            &[
                ("provider", "github"),
                ("client_id", "Iv1.other-app"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="client_secret-error""#), "{html}");
    assert!(html.contains("Iv1.other-app"), "typed input kept");
    let response = admin
        .post_form(
            "/admin/orgs/acme/providers",
            &page,
            &[
                ("provider", "microsoft"),
                ("tenant", "not a tenant"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="tenant-error""#)
    );

    let response = admin
        .post_form(
            "/admin/orgs/acme/providers/remove",
            &page,
            &[("provider", "github")],
        )
        .await;
    assert_eq!(
        location(&response),
        "/admin/orgs/acme/providers?done=removed"
    );
    let page = admin.get_html("/admin/orgs/acme/providers").await;
    assert!(page.contains("None yet"), "{page}");
}

#[tokio::test]
async fn branding_saved_in_the_console_shows_on_the_orgs_sign_in_page() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let row = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let org = gatehouse::store::organizations::find_by_id(&app.db, row.org_id)
        .await
        .unwrap()
        .unwrap();
    let admin = member_browser(&app, &org.slug, &["admin"]).await;

    // A colour too light to read on white: the reason next to the field, the rest kept.
    let response = post_branding(
        &admin,
        &org.slug,
        &[("display_name", "Acme Brand"), ("accent", "#ffcc00")],
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="accent-error""#), "{html}");
    assert!(html.contains("4.5:1"), "{html}");
    assert!(html.contains(r#"value="Acme Brand""#));

    let png = b"\x89PNG\r\n\x1a\n0000";
    let response = post_branding(
        &admin,
        &org.slug,
        &[
            ("display_name", "Acme Brand"),
            ("accent", "#0b6e4f"),
            ("support_url", "https://acme.example/help"),
        ],
        Some(("logo", "logo.png", png)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let slug = &org.slug;
    assert_eq!(
        location(&response),
        format!("/admin/orgs/{slug}/branding?done=saved")
    );
    let page = admin
        .get_html(&format!("/admin/orgs/{slug}/branding?done=saved"))
        .await;
    assert!(page.contains("Branding saved"), "{page}");
    assert!(page.contains(r##"value="#0b6e4f""##), "{page}");
    assert!(page.contains(&format!("/branding/{}/logo?v=", org.id)));
    let preview = regex::Regex::new(r#"href="(/authorize\?[^"]+)""#)
        .unwrap()
        .captures(&page)
        .expect("a preview link")[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let response = admin.get(&preview).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let login = admin.get_html(&location(&response)).await;
    assert!(
        login.contains(r#"<span class="org-name">Acme Brand</span>"#),
        "{login}"
    );
    assert!(login.contains(&format!("/branding/{}/theme.css", org.id)));

    // Too big a logo is refused before it reaches the admin layer.
    let big = vec![b'x'; 300 * 1024];
    let response = post_branding(&admin, slug, &[], Some(("logo", "big.png", &big))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="logo-error""#)
    );
}
