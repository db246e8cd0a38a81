//! Real-browser checks of the hosted pages (issue 17): axe-core finds no WCAG 2.1 AA violation
//! on any page, light or dark, desktop or phone; German browsers and `ui_locales=de` get German.
use crate::browser::{browser_app, run_script, screenshot_dir};
use crate::helpers::{PASSWORD, ServiceOptions, unique_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_any_hosted_page() {
    let (app, mailbox) = browser_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    // A third-party app: its request stops at the consent page.
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid", "email", "offline_access"]);
    run_script(
        "hosted_a11y.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("MAILBOX_URL", mailbox),
            ("AUTHORIZE_URL", request.url),
            ("USER_EMAIL", email),
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
