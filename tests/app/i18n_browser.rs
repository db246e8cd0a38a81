//! Real-browser checks of the hosted pages (issue 17): axe-core finds no WCAG 2.1 AA violation
//! on any page, light or dark, desktop or phone; German browsers and `ui_locales=de` get German.
use crate::browser::{browser_app, run_script, screenshot_dir};
use crate::helpers::{PASSWORD, ServiceOptions, assert_redirect_to, spawn_app_with, unique_email};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_any_hosted_page() {
    // The browser names its network with X-Forwarded-For through the trusted test proxy (the
    // emailed-code step of an unusual sign-in).
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost");
        s.server.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let mailbox = app.mail.serve_mailbox_http();
    let [email, reset_email, magic_email, risky_email] = [(); 4].map(|()| unique_email());
    for user in [&email, &reset_email, &magic_email, &risky_email] {
        app.verified_user(user).await;
    }
    // The risky user's history: one sign-in from this machine's network.
    assert_redirect_to(&app.login(&risky_email, PASSWORD).await, "/account");
    // A third-party app: its request stops at the consent page; it signs in devices too.
    let service = app
        .create_service(ServiceOptions {
            grant_types: vec!["authorization_code", "refresh_token", DEVICE_GRANT],
            ..ServiceOptions::default()
        })
        .await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid", "email", "offline_access"]);
    let device: serde_json::Value = app
        .client
        .post(app.url("/device_authorization"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(&[("scope", "openid email")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_code = device["user_code"]
        .as_str()
        .expect("a user code")
        .to_owned();
    run_script(
        "hosted_a11y.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("MAILBOX_URL", mailbox),
            ("AUTHORIZE_URL", request.url),
            ("DEVICE_USER_CODE", user_code),
            ("USER_EMAIL", email),
            ("RESET_EMAIL", reset_email),
            ("MAGIC_EMAIL", magic_email),
            ("RISKY_EMAIL", risky_email),
            ("USER_PASSWORD", PASSWORD.to_owned()),
            ("SCREENSHOT_DIR", screenshot_dir()),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn german_browsers_and_ui_locales_get_german_pages() {
    let (app, mailbox) = browser_app().await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let url = format!("{}&ui_locales=de", rp.authorize(&["openid"]).url);
    run_script(
        "hosted_german.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("MAILBOX_URL", mailbox),
            ("AUTHORIZE_URL", url),
        ],
    )
    .await;
}
