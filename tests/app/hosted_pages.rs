//! Hosted pages people trust (issue 17): the service and organization on every sign-in step,
//! fresh sign-ins that say why, "Not you?".
use reqwest::StatusCode;

use crate::helpers::mfa::enrolled_user;
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, next_field_of, spawn_app, unique_email};

/// The `Location` of a GET.
async fn location_of(app: &TestApp, url: &str) -> String {
    let response = app.client.get(url).send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "{url}: {}",
        response.status()
    );
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The login page a relying app's authorization request leads to (`extra` appended).
async fn login_page_from_app(app: &TestApp, extra: &str) -> (String, String) {
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let location = location_of(app, &format!("{}{extra}", rp.authorize(&["openid"]).url)).await;
    assert!(location.starts_with("/login?"), "{location}");
    (location.clone(), app.get_html(&location).await)
}

fn sign_up_offered(html: &str) -> bool {
    html.contains(r#"id="sign-up""#)
}

#[tokio::test]
async fn the_login_page_from_a_relying_app_names_the_service_and_its_organization() {
    let app = spawn_app().await;
    let (_, html) = login_page_from_app(&app, "").await;
    assert!(
        html.contains(
            r#"to continue to <strong>Acme Web</strong> <span class="org">by Acme Corp</span>"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<span class="org-name">Acme Corp</span>"#),
        "header names the org"
    );
    assert!(sign_up_offered(&html), "a first sign-in offers an account");
    assert!(!html.contains(r#"id="reauth""#), "nothing to explain");
    // The sign-up and email-link pages keep the context.
    let next = next_field_of(&html);
    let query = format!("next={}", urlencode(&next));
    for page in ["/register", "/magic-link"] {
        let other = app.get_html(&format!("{page}?{query}")).await;
        assert!(
            other.contains("<strong>Acme Web</strong>"),
            "{page}: {other}"
        );
    }
}

#[tokio::test]
async fn a_plain_login_page_has_no_service_and_a_stale_request_is_not_an_error() {
    let app = spawn_app().await;
    let plain = app.get_html("/login").await;
    assert!(!plain.contains(r#"id="context""#));
    assert!(sign_up_offered(&plain));
    let stale = app
        .get_html("/login?next=%2Fauthorize%2Fcontinue%3Frequest%3Dmade-up")
        .await;
    assert!(
        !stale.contains(r#"id="context""#),
        "an unknown request names nothing"
    );
    assert!(stale.contains(r#"name="password""#));
}

#[tokio::test]
async fn prompt_login_says_why_prefills_the_account_and_offers_no_sign_up() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (location, html) = login_page_from_app(&app, "&prompt=login").await;
    assert!(location.contains("again=1"), "{location}");
    assert!(
        html.contains("Acme Web asks you to sign in again to confirm it&#39;s you.")
            || html.contains("Acme Web asks you to sign in again to confirm it&#x27;s you."),
        "{html}"
    );
    assert!(!sign_up_offered(&html), "no sign-up on a fresh sign-in");
    assert!(html.contains(&format!("Signing in as <strong>{email}</strong>")));
    assert!(
        html.contains(&format!(r#"value="{email}""#)),
        "address filled in"
    );

    // "Not you?" shows the same sign-in without the address, still for Acme Web.
    let switch = regex::Regex::new(r#"href="([^"]+)" id="switch-account""#)
        .unwrap()
        .captures(&html)
        .expect("a Not you? link")[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let other = app.get_html(&switch).await;
    assert!(!other.contains(&email), "no address pre-filled: {other}");
    assert!(other.contains("<strong>Acme Web</strong>"));
    assert!(!sign_up_offered(&other));

    // Signing in on the fresh-sign-in page carries on to the app.
    let signed_in = app.login_with_next(&html, &email, PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let back = signed_in.headers()["location"].to_str().unwrap();
    assert!(back.starts_with("/authorize/continue"), "{back}");
}

#[tokio::test]
async fn max_age_explains_the_last_sign_in_is_too_old() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, html) = login_page_from_app(&app, "&max_age=0").await;
    assert!(
        html.contains("You last signed in a while ago. Acme Web asks you"),
        "{html}"
    );
    assert!(!sign_up_offered(&html));
}

#[tokio::test]
async fn a_login_hint_is_filled_in_with_a_not_you_switch() {
    let app = spawn_app().await;
    let (_, html) = login_page_from_app(&app, "&login_hint=hinted%40example.com").await;
    assert!(
        html.contains("Signing in as <strong>hinted@example.com</strong>"),
        "{html}"
    );
    assert!(html.contains(r#"id="switch-account""#));
    assert!(sign_up_offered(&html), "nobody is signed in: sign-up stays");
}

#[tokio::test]
async fn re_authentication_for_account_changes_says_why() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    let html = app
        .get_html("/login?again=1&next=%2Faccount%2Fsecurity")
        .await;
    assert!(
        html.contains("You are about to change how you sign in."),
        "{html}"
    );
    assert!(!sign_up_offered(&html));
    assert!(!html.contains(r#"id="context""#));
}

#[tokio::test]
async fn a_wrong_password_keeps_the_context_and_the_reason() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, html) = login_page_from_app(&app, "&prompt=login").await;
    // As the browser posts it: every hidden field, `again` among them.
    let next = next_field_of(&html);
    let wrong = app
        .post_form(
            "/login",
            &html,
            &[
                ("email", email.as_str()),
                ("password", "not the password"),
                ("next", &next),
                ("again", "1"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let again = wrong.text().await.unwrap();
    assert!(again.contains("<strong>Acme Web</strong>"), "{again}");
    assert!(again.contains(r#"id="reauth""#));
    assert!(!sign_up_offered(&again));
}

#[tokio::test]
async fn the_second_step_names_the_service() {
    let app = spawn_app().await;
    let (email, _, _) = enrolled_user(&app).await;
    let (_, html) = login_page_from_app(&app, "").await;
    let first = app.login_with_next(&html, &email, PASSWORD).await;
    assert_eq!(first.headers()["location"], "/login/mfa");
    let mfa = app.get_html("/login/mfa").await;
    assert!(mfa.contains("<strong>Acme Web</strong>"), "{mfa}");
    assert!(mfa.contains(r#"<span class="org-name">Acme Corp</span>"#));
}

#[tokio::test]
async fn device_sign_in_names_the_device_service() {
    let app = spawn_app().await;
    let service = app
        .create_service(ServiceOptions {
            public: true,
            grant_types: vec!["urn:ietf:params:oauth:grant-type:device_code"],
            ..ServiceOptions::default()
        })
        .await;
    let body: serde_json::Value = app
        .client
        .post(app.url("/device_authorization"))
        .form(&[
            ("client_id", service.client_id.as_str()),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_code = body["user_code"].as_str().expect("a user code");
    let location = location_of(&app, &app.url(&format!("/device?user_code={user_code}"))).await;
    assert!(location.starts_with("/login?"), "{location}");
    let html = app.get_html(&location).await;
    assert!(html.contains("<strong>Acme Web</strong>"), "{html}");
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn too_many_attempts_says_how_many_minutes_to_wait() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.rate_limit.login_per_account_per_15_minutes = 1;
    })
    .await;
    let email = unique_email();
    app.login(&email, "wrong password 1").await;
    let refused = app.login(&email, "wrong password 2").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = refused.text().await.unwrap();
    let wait = regex::Regex::new(r"Wait (\d+) minutes?, then try again\.").unwrap();
    let minutes: u64 = wait.captures(&html).expect("the wait in minutes")[1]
        .parse()
        .unwrap();
    assert!((1..=15).contains(&minutes), "{minutes}");
}

#[tokio::test]
async fn a_wrong_backup_code_is_reported_at_the_backup_code_field() {
    let app = spawn_app().await;
    let (email, _, _) = enrolled_user(&app).await;
    app.login(&email, PASSWORD).await;
    let page = app.get_html("/login/mfa").await;
    let wrong = app
        .post_form(
            "/login/mfa",
            &page,
            &[("code", "aaaaa-bbbbb"), ("backup", "1")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains(r#"<details class="secondary" open>"#),
        "the backup form stays open"
    );
    assert!(html.contains(r#"id="backup-error" role="alert""#), "{html}");
    let backup_input = regex::Regex::new(r#"(?s)<input id="backup-code"[^>]*>"#)
        .unwrap()
        .find(&html)
        .unwrap()
        .as_str()
        .to_owned();
    assert!(
        backup_input.contains(r#"aria-invalid="true""#),
        "{backup_input}"
    );
    assert!(backup_input.contains("backup-error"), "{backup_input}");
    let totp_input = regex::Regex::new(r#"(?s)<input id="code"[^>]*>"#)
        .unwrap()
        .find(&html)
        .unwrap()
        .as_str()
        .to_owned();
    assert!(
        !totp_input.contains("aria-invalid"),
        "the app-code field is not blamed"
    );

    // A wrong app code is reported at the app-code field.
    let page = app.get_html("/login/mfa").await;
    let wrong = app
        .post_form("/login/mfa", &page, &[("code", "000000")])
        .await;
    let html = wrong.text().await.unwrap();
    assert!(html.contains(r#"id="code-error" role="alert""#), "{html}");
    assert!(!html.contains(r#"id="backup-error""#));
}

#[tokio::test]
async fn a_made_up_verification_link_shows_no_verify_button() {
    let app = spawn_app().await;
    let response = app.get("/verify-email?token=made-up-token").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("This link cannot be used"), "{html}");
    assert!(!html.contains("Verify my email"));
    assert!(!html.contains("action=\"/verify-email\""));
}

#[tokio::test]
async fn authenticator_set_up_offers_an_app_link_and_cancel_and_the_security_page_folds_risky_actions()
 {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    let enrol = app
        .submit("/account/security", "/account/security/totp", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        enrol.contains(r#"href="otpauth://totp/Gatehouse:"#)
            && enrol.contains(r#"id="open-authenticator""#),
        "{enrol}"
    );
    assert!(enrol.contains(r#"<a href="/account/security" id="cancel-enrolment">Cancel</a>"#));
    // A wrong code is reported at the code field.
    let wrong = app
        .post_form(
            "/account/security/totp/confirm",
            &enrol,
            &[("code", "000000")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        wrong.contains(r#"aria-describedby="code-error""#),
        "{wrong}"
    );
    assert!(wrong.contains(r#"id="code-error" role="alert""#));

    crate::helpers::mfa::enrol_totp_signed_in(&app).await;
    let security = app.get_html("/account/security").await;
    let folded = regex::Regex::new(
        r#"(?s)<details class="danger-zone">\s*<summary>Turn off two-step sign-in</summary>.*action="/account/security/totp/disable""#,
    )
    .unwrap();
    assert!(folded.is_match(&security), "{security}");

    let codes = app
        .submit("/account/security", "/account/security/backup-codes", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(crate::helpers::mfa::backup_codes_of(&codes).len(), 10);
    assert!(codes.contains(r#"<ol class="codes" id="backup-codes">"#));
    assert!(
        codes.contains("Download (.txt)") && codes.contains("data-print hidden>Print</button>")
    );
    assert!(
        codes.contains(r#"<a class="button" href="/account/security">I saved them, continue</a>"#),
        "{codes}"
    );
}

async fn user_id(app: &TestApp, email: &str) -> uuid::Uuid {
    gatehouse::store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The same app seen from another browser that sends `user_agent`.
fn browser_with_agent(app: &TestApp, user_agent: &str) -> TestApp {
    let mut device = app.new_device();
    device.client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .user_agent(user_agent)
        .build()
        .unwrap();
    device
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_signs_out_one_or_all_others() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let firefox = browser_with_agent(
        &app,
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    );
    let third = app.new_device();
    for device in [&app, &firefox, &third] {
        assert_eq!(
            device.login(&email, PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let account = app.get_html("/account").await;
    assert_eq!(
        account
            .matches("<span class=\"badge\">This device</span>")
            .count(),
        1
    );
    assert!(
        account.contains("<strong>Firefox on Linux</strong>"),
        "{account}"
    );
    assert!(account.contains("127.0.0.1 · Last active "));
    assert!(account.contains(r#"id="end-other-sessions""#));
    assert!(
        account.contains(r#"<dd id="sign-in-methods">Password</dd>"#),
        "no amr codes"
    );

    // Someone else's session cannot be ended from here.
    let stranger = unique_email();
    app.verified_user(&stranger).await;
    let strangers = app.new_device();
    strangers.login(&stranger, PASSWORD).await;
    let strangers_session = gatehouse::store::browser_sessions::list_active_for_user(
        &app.db,
        user_id(&app, &stranger).await,
    )
    .await
    .unwrap()[0]
        .id
        .to_string();
    app.post_form(
        "/account/sessions/end",
        &account,
        &[("session_id", &strangers_session)],
    )
    .await;
    assert_eq!(strangers.get("/account").await.status(), StatusCode::OK);

    // One session: the Firefox one.
    let sessions = gatehouse::store::browser_sessions::list_active_for_user(
        &app.db,
        user_id(&app, &email).await,
    )
    .await
    .unwrap();
    let firefox_session = sessions
        .iter()
        .find(|s| {
            s.user_agent
                .as_deref()
                .is_some_and(|ua| ua.contains("Firefox"))
        })
        .unwrap()
        .id
        .to_string();
    let ended = app
        .post_form(
            "/account/sessions/end",
            &account,
            &[("session_id", &firefox_session)],
        )
        .await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        firefox.get("/account").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(third.get("/account").await.status(), StatusCode::OK);

    // All others: the third browser too, this one stays.
    app.post_form("/account/sessions/end", &account, &[]).await;
    assert_eq!(third.get("/account").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    let after = app.get_html("/account").await;
    assert!(
        !after.contains(r#"id="end-other-sessions""#),
        "only this device is left"
    );

    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let events = gatehouse::store::entities::audit_events::Entity::find()
        .filter(gatehouse::store::entities::audit_events::Column::Action.eq("user.sessions_ended"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        2,
        "one per sign-out, none for the stranger's session"
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_devices() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let other = app.new_device();
    app.login(&email, PASSWORD).await;
    other.login(&email, PASSWORD).await;
    let page = app.get_html("/account/password").await;

    let wrong = app
        .post_form(
            "/account/password",
            &page,
            &[
                ("current_password", "not it at all"),
                ("new_password", "a new long passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains(r#"aria-invalid="true" aria-describedby="current-error""#),
        "{html}"
    );
    assert!(html.contains("That is not your current password."));

    let short = app
        .post_form(
            "/account/password",
            &page,
            &[("current_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = short.text().await.unwrap();
    assert!(html.contains(r#"id="new-error" role="alert""#), "{html}");
    assert!(app.new_device().login(&email, PASSWORD).await.status() == StatusCode::SEE_OTHER);

    let changed = app
        .post_form(
            "/account/password",
            &page,
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert!(changed.text().await.unwrap().contains("Password changed"));
    assert_eq!(
        app.get("/account").await.status(),
        StatusCode::OK,
        "this device stays"
    );
    assert_eq!(
        other.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "others end"
    );
    assert_eq!(
        app.new_device().login(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.new_device()
            .login(&email, "a new long passphrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.mail
        .wait_for_subject(&email, "Your password was changed", 0)
        .await;
}

#[tokio::test]
async fn a_broken_app_request_is_explained_in_plain_words_with_the_detail_folded() {
    let app = spawn_app().await;
    let response = app
        .get("/authorize?response_type=code&client_id=nope&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<h1>We cannot continue to the app</h1>"),
        "{html}"
    );
    let detail = regex::Regex::new(
        r#"(?s)<details class="secondary">\s*<summary>Details for the app.s developer</summary>.*unknown client_id"#,
    )
    .unwrap();
    assert!(detail.is_match(&html), "{html}");
    let visible = html.split("<details").next().unwrap();
    assert!(
        !visible.contains("client_id") && !visible.contains("redirect_uri"),
        "{visible}"
    );
}
