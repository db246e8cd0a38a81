//! Risk-based sign-in and device trust (issue 18): the trusted-device cookie, step-up by TOTP
//! or emailed code, blocks with a mail, the JSON variants of seed 004, and bad device tokens.
use gatehouse::store::entities::{login_tickets, trusted_devices};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{CapturedMail, PASSWORD, TestApp, csrf_of, mfa, spawn_app_with, unique_email};

const HOME: &str = "192.0.2.10";
const ELSEWHERE: &str = "198.51.100.7";
const CODE_SUBJECT: &str = "Your sign-in code";
const NEW_SIGN_IN: &str = "New sign-in to your account";
const BLOCKED_SUBJECT: &str = "Suspicious sign-in blocked";

async fn spawn(customize: impl FnOnce(&mut gatehouse::config::Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        customize(s);
    })
    .await
}

/// A browser at `ip` behind the trusted test proxy: `GET path`.
async fn get_from(app: &TestApp, ip: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
}

/// A browser at `ip` loads `page` and posts `fields` (plus its CSRF token) to `action`.
async fn submit_from(
    app: &TestApp,
    ip: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = get_from(app, ip, page).await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let mut form = fields.to_vec();
    form.push(("csrf_token", &csrf));
    app.client
        .post(app.url(action))
        .header("x-forwarded-for", ip)
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    submit_from(
        app,
        ip,
        "/login",
        "/login",
        &[("email", email), ("password", password)],
    )
    .await
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "a redirect");
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The `Set-Cookie: device_token=…` of a response.
fn device_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("device_token="))
}

fn token_of(set_cookie: &str) -> String {
    set_cookie["device_token=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The six-digit code of a code mail.
fn code_of(mail: &CapturedMail) -> String {
    regex::Regex::new(r"Your sign-in code is (\d{6})\.")
        .unwrap()
        .captures(&mail.text())
        .expect("a code in the mail")[1]
        .to_owned()
}

fn subjects(app: &TestApp, email: &str) -> Vec<String> {
    app.mail
        .messages_to(email)
        .iter()
        .map(|m| m.subject())
        .collect()
}

/// A verified account that signed in once at HOME with `app`'s browser (its trusted device),
/// then signed out.
async fn account_with_history(app: &TestApp) -> String {
    let email = unique_email();
    app.verified_user(&email).await;
    let first = login_from(app, HOME, &email, PASSWORD).await;
    assert_eq!(location(&first), "/account");
    submit_from(app, HOME, "/account", "/logout", &[]).await;
    email
}

/// The audited decisions (`risk.assessed`) as (score, rules, decision), oldest first.
async fn decisions(app: &TestApp) -> Vec<(i64, Vec<String>, String)> {
    gatehouse::store::audit_events::list_for_action(&app.db, "risk.assessed")
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let d: Value = serde_json::from_str(e.details.as_deref().unwrap()).unwrap();
            let rules = d["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            (
                d["score"].as_i64().unwrap(),
                rules,
                d["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_first_sign_in_sets_a_trusted_device_cookie_and_the_same_browser_stays_one_step() {
    let app = spawn(|_| {}).await;
    let email = unique_email();
    app.verified_user(&email).await;

    let first = login_from(&app, HOME, &email, PASSWORD).await;
    assert_eq!(location(&first), "/account");
    let cookie = device_cookie(&first).expect("device_token set");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=7776000"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "http issuer: no Secure");
    assert_eq!(token_of(&cookie).len(), 43, "opaque 256-bit token");
    submit_from(&app, HOME, "/account", "/logout", &[]).await;

    // The same browser from another network: one step, and no new-device mail.
    let again = login_from(&app, ELSEWHERE, &email, PASSWORD).await;
    assert_eq!(location(&again), "/account");
    let decisions = decisions(&app).await;
    assert_eq!(decisions[0], (0, vec![], "allow".to_owned()));
    assert_eq!(
        decisions[1],
        (30, vec!["new_network".to_owned()], "allow".to_owned())
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!subjects(&app, &email).contains(&NEW_SIGN_IN.to_owned()));
    // The token is stored hashed, never as is.
    let row = trusted_devices::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(row.token_hash, token_of(&cookie));
}

#[tokio::test]
async fn a_new_browser_on_the_same_network_proceeds_and_the_owner_is_mailed_once() {
    let app = spawn(|_| {}).await;
    let email = account_with_history(&app).await;
    let laptop = app.new_device();

    for _ in 0..2 {
        let response = login_from(&laptop, HOME, &email, PASSWORD).await;
        assert_eq!(location(&response), "/account");
        submit_from(&laptop, HOME, "/account", "/logout", &[]).await;
    }

    let mail = app.mail.wait_for_subject(&email, NEW_SIGN_IN, 0).await;
    let text = mail.text();
    assert!(text.contains(HOME) && text.contains("password"), "{text}");
    assert!(mail.link().ends_with("/forgot-password"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let notices = subjects(&app, &email)
        .into_iter()
        .filter(|s| s == NEW_SIGN_IN)
        .count();
    assert_eq!(notices, 1, "at most one mail per device");
}

#[tokio::test]
async fn a_new_browser_on_a_new_network_with_totp_gets_the_totp_step() {
    let app = spawn(|_| {}).await;
    let (email, secret, _) = mfa::enrolled_user(&app).await;
    // Establish the history from HOME with this browser (TOTP completes the sign-in).
    let first = login_from(&app, HOME, &email, PASSWORD).await;
    assert_eq!(location(&first), "/login/mfa");
    let page = get_from(&app, HOME, "/login/mfa")
        .await
        .text()
        .await
        .unwrap();
    let code = mfa::code(&secret, 1);
    let done = app
        .client
        .post(app.url("/login/mfa"))
        .header("x-forwarded-for", HOME)
        .form(&[("code", code.as_str()), ("csrf_token", &csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&done), "/account");
    assert!(
        device_cookie(&done).is_some(),
        "the second step sets it too"
    );

    let stranger = app.new_device();
    let response = login_from(&stranger, ELSEWHERE, &email, PASSWORD).await;

    assert_eq!(location(&response), "/login/mfa");
    let last = decisions(&app).await.pop().unwrap();
    assert_eq!(last.1, ["new_device", "new_network"]);
    assert_eq!(last.2, "step_up");
    assert!(
        !subjects(&app, &email).contains(&CODE_SUBJECT.to_owned()),
        "TOTP, not a mailed code"
    );
}

/// A stranger's browser on a new network reaches the emailed-code page; returns it.
async fn at_code_step(app: &TestApp, email: &str) -> TestApp {
    let stranger = app.new_device();
    let before = app.mail.messages_to(email).len();
    let response = login_from(&stranger, ELSEWHERE, email, PASSWORD).await;
    assert_eq!(location(&response), "/login/code");
    app.mail.wait_for_subject(email, CODE_SUBJECT, before).await;
    stranger
}

/// Posts a code from ELSEWHERE; the CSRF token (one per browser) comes from a page that is
/// there whether or not the step still is.
async fn send_code(app: &TestApp, code: &str) -> reqwest::Response {
    submit_from(
        app,
        ELSEWHERE,
        "/forgot-password",
        "/login/code",
        &[("code", code)],
    )
    .await
}

fn latest_code(app: &TestApp, email: &str) -> String {
    let mail = app
        .mail
        .messages_to(email)
        .into_iter()
        .rev()
        .find(|m| m.subject() == CODE_SUBJECT)
        .unwrap();
    code_of(&mail)
}

#[tokio::test]
async fn without_totp_a_code_is_mailed_and_completes_the_sign_in() {
    let app = spawn(|_| {}).await;
    let email = account_with_history(&app).await;
    let stranger = at_code_step(&app, &email).await;
    let page = get_from(&stranger, ELSEWHERE, "/login/code")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("emailed a 6-digit code"), "{page}");
    let code = latest_code(&app, &email);
    assert!(
        !app.mail
            .messages_to(&email)
            .last()
            .unwrap()
            .link()
            .contains(&code),
        "the code is not the logged link"
    );

    let done = send_code(&stranger, &code).await;

    assert_eq!(location(&done), "/account");
    assert!(device_cookie(&done).is_some());
    assert_eq!(
        stranger.get("/account").await.status(),
        StatusCode::OK,
        "signed in"
    );
    app.mail.wait_for_subject(&email, NEW_SIGN_IN, 0).await;
    let stored: Vec<_> = login_tickets::Entity::find()
        .filter(login_tickets::Column::Purpose.eq("email_code"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let hash = stored[0].code_hash.clone().unwrap();
    assert!(!hash.contains(&code), "stored hashed");
    assert!(stored[0].used_at.is_some(), "single use");
}

#[tokio::test]
async fn wrong_reused_and_expired_codes_are_refused() {
    let app = spawn(|_| {}).await;
    let email = account_with_history(&app).await;

    // Expired: ten minutes have passed.
    let late = at_code_step(&app, &email).await;
    login_tickets::Entity::update_many()
        .col_expr(
            login_tickets::Column::ExpiresAt,
            Expr::value(gatehouse::store::now() - chrono::Duration::seconds(1)),
        )
        .filter(login_tickets::Column::UsedAt.is_null())
        .exec(&app.db)
        .await
        .unwrap();
    let expired = send_code(&late, &latest_code(&app, &email)).await;
    assert_eq!(location(&expired), "/login", "start over");

    let stranger = at_code_step(&app, &email).await;
    let code = latest_code(&app, &email);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = send_code(&stranger, wrong).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("Invalid code"));
    let malformed = send_code(&stranger, "12ab").await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(
        malformed
            .text()
            .await
            .unwrap()
            .contains("Enter the 6-digit code")
    );
    // The right code still works after a wrong one; then it is used up.
    assert_eq!(location(&send_code(&stranger, &code).await), "/account");
    let reused = send_code(&stranger, &code).await;
    assert_eq!(location(&reused), "/login", "no live ticket: start over");
}

#[tokio::test]
async fn five_wrong_codes_end_the_step() {
    let app = spawn(|_| {}).await;
    let email = account_with_history(&app).await;
    let stranger = at_code_step(&app, &email).await;
    let code = latest_code(&app, &email);
    let wrong = if code == "000000" { "111111" } else { "000000" };

    for attempt in 1..=5 {
        let refused = send_code(&stranger, wrong).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let body = refused.text().await.unwrap();
        if attempt == 5 {
            assert!(body.contains("Too many wrong codes"), "{body}");
        }
    }

    let too_late = send_code(&stranger, &code).await;
    assert_eq!(
        location(&too_late),
        "/login",
        "the right code no longer works"
    );
}

/// Tries wrong passwords from `ip` against `accounts` distinct addresses (unknown ones).
async fn spray(app: &TestApp, ip: &str, accounts: usize) {
    let attacker = app.new_device();
    for _ in 0..accounts {
        let response = login_from(&attacker, ip, &unique_email(), "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn over_the_block_threshold_the_sign_in_is_refused_and_the_owner_told() {
    let app = spawn(|_| {}).await;
    let email = account_with_history(&app).await;
    spray(&app, ELSEWHERE, 10).await;
    let attacker = app.new_device();

    let refused = login_from(&attacker, ELSEWHERE, &email, PASSWORD).await;

    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(device_cookie(&refused).is_none());
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("Suspicious login detected. Please contact support."),
        "{body}"
    );
    assert_eq!(
        attacker.get("/account").await.status(),
        StatusCode::SEE_OTHER
    );
    let mail = app.mail.wait_for_subject(&email, BLOCKED_SUBJECT, 0).await;
    assert!(mail.text().contains(ELSEWHERE));
    let last = decisions(&app).await.pop().unwrap();
    assert_eq!(
        last,
        (
            120,
            [
                "new_device",
                "new_network",
                "network_failures",
                "network_accounts"
            ]
            .map(String::from)
            .to_vec(),
            "block".to_owned()
        )
    );
}

#[tokio::test]
async fn a_flood_from_one_network_does_not_lock_owners_out_of_their_trusted_devices() {
    let app = spawn(|_| {}).await;
    // The owner signs in at the office, then the office network is used for a spray that also
    // hits the owner's account.
    let email = unique_email();
    app.verified_user(&email).await;
    assert_eq!(
        location(&login_from(&app, ELSEWHERE, &email, PASSWORD).await),
        "/account"
    );
    submit_from(&app, ELSEWHERE, "/account", "/logout", &[]).await;
    let attacker = app.new_device();
    for _ in 0..5 {
        login_from(&attacker, ELSEWHERE, &email, "wrong password").await;
    }
    spray(&app, ELSEWHERE, 8).await;

    let owner = login_from(&app, ELSEWHERE, &email, PASSWORD).await;
    assert_eq!(location(&owner), "/account", "the owner's trusted browser");
    let owner_decision = decisions(&app).await.pop().unwrap();
    assert_eq!((owner_decision.0, owner_decision.2.as_str()), (0, "allow"));

    // The attacker with the right password, on the same network, is not let in.
    let intruder = login_from(&attacker, ELSEWHERE, &email, PASSWORD).await;
    assert_eq!(intruder.status(), StatusCode::FORBIDDEN);
    let decision = decisions(&app).await.pop().unwrap();
    assert_eq!(decision.2, "block");
    assert!(decision.1.contains(&"account_failures".to_owned()));
    assert!(decision.1.contains(&"network_accounts".to_owned()));
}

/// A browser at `ip` that presents `device_token` (set by hand, as a forger would).
async fn login_with_device_token(
    app: &TestApp,
    ip: &str,
    device_token: &str,
    email: &str,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/login"))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap();
    let csrf_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("gh_csrf="))
        .unwrap();
    let html = page.text().await.unwrap();
    client
        .post(app.url("/login"))
        .header("x-forwarded-for", ip)
        .header(
            "cookie",
            format!("{csrf_cookie}; device_token={device_token}"),
        )
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forged_expired_foreign_and_tampered_device_tokens_are_ignored() {
    let app = spawn(|s| s.rate_limit.mail_per_address_per_hour = 50).await;
    let email = account_with_history(&app).await;
    // Another user's valid token.
    let other = app.new_device();
    let other_email = unique_email();
    other.verified_user(&other_email).await;
    let other_login = login_from(&other, HOME, &other_email, PASSWORD).await;
    let foreign = token_of(&device_cookie(&other_login).unwrap());
    // This user's own token, from a fresh browser that signs in at HOME.
    let mine = app.new_device();
    let my_login = login_from(&mine, HOME, &email, PASSWORD).await;
    let valid = token_of(&device_cookie(&my_login).unwrap());
    let mut tampered = valid.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });

    // Control: the valid token from a new network proceeds in one step.
    let trusted = login_with_device_token(&app, "203.0.113.1", &valid, &email).await;
    assert_eq!(location(&trusted), "/account");

    // Each from a network the account never used: with a trusted device that alone proceeds.
    for (case, ip, token) in [
        ("forged", "203.0.113.2", gatehouse::keys::random_token()),
        ("tampered", "203.0.113.3", tampered),
        ("another user's", "203.0.113.4", foreign),
        (
            "not a token",
            "203.0.113.5",
            "not-a-device-token".to_owned(),
        ),
    ] {
        let response = login_with_device_token(&app, ip, &token, &email).await;
        assert_eq!(location(&response), "/login/code", "{case}: a new device");
    }

    // Expired: the same valid token stops counting (revoked ones: see the account-area test).
    trusted_devices::Entity::update_many()
        .col_expr(
            trusted_devices::Column::ExpiresAt,
            Expr::value(gatehouse::store::now() - chrono::Duration::seconds(1)),
        )
        .filter(trusted_devices::Column::TokenHash.eq(gatehouse::keys::hash_token(&valid)))
        .exec(&app.db)
        .await
        .unwrap();
    let expired = login_with_device_token(&app, "203.0.113.6", &valid, &email).await;
    assert_eq!(location(&expired), "/login/code", "expired");
}

#[tokio::test]
async fn devices_are_listed_and_revoked_in_the_account_area_and_a_password_reset_revokes_all() {
    let app = spawn(|_| {}).await;
    let email = account_with_history(&app).await;
    let laptop = app.new_device();
    assert_eq!(
        location(&login_from(&laptop, HOME, &email, PASSWORD).await),
        "/account"
    );

    let page = get_from(&laptop, HOME, "/account/devices")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("/revoke\"").count(), 2, "{page}");
    assert!(page.contains("(this browser)"));
    let ids: Vec<String> = regex::Regex::new(r#"/account/devices/([0-9a-f-]{36})/revoke"#)
        .unwrap()
        .captures_iter(&page)
        .map(|c| c[1].to_owned())
        .collect();
    // Another user cannot revoke them.
    let other = app.new_device();
    let other_email = unique_email();
    other.verified_user(&other_email).await;
    login_from(&other, HOME, &other_email, PASSWORD).await;
    let path = format!("/account/devices/{}/revoke", ids[0]);
    submit_from(&other, HOME, "/account/devices", &path, &[]).await;
    let page = get_from(&laptop, HOME, "/account/devices")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("/revoke\"").count(), 2);
    // Without the CSRF token nothing happens.
    let forged = laptop
        .client
        .post(laptop.url(&path))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let revoked = submit_from(&laptop, HOME, "/account/devices", &path, &[]).await;
    assert_eq!(location(&revoked), "/account/devices");
    let page = get_from(&laptop, HOME, "/account/devices")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("/revoke\"").count(), 1);
    let audit = gatehouse::store::audit_events::list_for_action(&app.db, "device.revoked")
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);

    // A password reset revokes the rest: the laptop is a stranger again elsewhere.
    app.reset_password(&email, "a brand new passphrase here")
        .await;
    let live = trusted_devices::Entity::find()
        .filter(trusted_devices::Column::RevokedAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    let owner = ids_owner(&app, &email).await;
    assert!(live.iter().all(|d| d.user_id != owner));
    let after = login_from(&laptop, ELSEWHERE, &email, "a brand new passphrase here").await;
    assert_eq!(location(&after), "/login/code");
}

async fn ids_owner(app: &TestApp, email: &str) -> uuid::Uuid {
    gatehouse::store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn an_organization_can_force_a_second_step_on_untrusted_devices() {
    let app = spawn(|_| {}).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let org = app.create_org("risky-org", "Risky").await;
    let user_id = ids_owner(&app, &email).await;
    gatehouse::store::memberships::upsert(&app.db, org.id, user_id, &["member".into()])
        .await
        .unwrap();
    let set = app
        .cli(&["org", "risk", "step-up-untrusted", "--org", "risky-org"])
        .await;
    assert_eq!(set["step_up_untrusted_devices"], true);
    let shown = app
        .cli(&["org", "risk", "show", "--org", "risky-org"])
        .await;
    assert_eq!(shown, set);
    let audit = gatehouse::store::audit_events::list_for_action(&app.db, "org.risk_policy_changed")
        .await
        .unwrap();
    assert_eq!(audit[0].actor.as_deref(), Some("cli"));

    // Even the first sign-in of a fresh account needs the code on an untrusted device...
    let first = login_from(&app, HOME, &email, PASSWORD).await;
    assert_eq!(location(&first), "/login/code");
    app.mail.wait_for_subject(&email, CODE_SUBJECT, 0).await;
    let done = send_code(&app, &latest_code(&app, &email)).await;
    assert_eq!(location(&done), "/account");
    submit_from(&app, HOME, "/account", "/logout", &[]).await;
    // ...and the device it then trusts signs in in one step.
    assert_eq!(
        location(&login_from(&app, HOME, &email, PASSWORD).await),
        "/account"
    );

    // An org admin of another organization may not change it.
    let outsider = gatehouse::admin::Actor::User(gatehouse::admin::AdminUser {
        id: uuid::Uuid::new_v4(),
        is_platform_owner: false,
        admin_of: vec![uuid::Uuid::new_v4()],
    });
    let refused = gatehouse::admin::risk::set_step_up_untrusted(
        &app.state,
        &outsider,
        "risky-org",
        false,
        &gatehouse::domain::RequestMeta::default(),
    )
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn with_the_engine_off_every_sign_in_proceeds() {
    let app = spawn(|s| s.risk.enabled = false).await;
    let email = account_with_history(&app).await;
    spray(&app, ELSEWHERE, 10).await;
    let stranger = app.new_device();
    let response = login_from(&stranger, ELSEWHERE, &email, PASSWORD).await;
    assert_eq!(location(&response), "/account");
    assert!(decisions(&app).await.is_empty(), "nothing scored");
}

/// JSON: `POST /api/auth/login` at `ip` with `client`'s cookies.
async fn api_login(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_json_api_sets_the_cookie_asks_for_the_mailed_code_and_blocks_like_the_seed() {
    let app = spawn(|_| {}).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let first = api_login(&app, HOME, &email, PASSWORD).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(device_cookie(&first).unwrap().contains("Max-Age=7776000"));

    // A magic link opened by another client on another network: the seed's requires_mfa.
    let phone = app.new_device();
    phone
        .client
        .post(phone.url("/api/auth/magic-link/request"))
        .header("x-forwarded-for", ELSEWHERE)
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    let link = app
        .mail
        .wait_for_subject(&email, "Your sign-in link for Gatehouse", 0)
        .await
        .link();
    let token = link.split("token=").nth(1).unwrap();
    let verify = get_from(
        &phone,
        ELSEWHERE,
        &format!("/api/auth/magic-link/verify?token={token}"),
    )
    .await;
    assert_eq!(verify.status(), StatusCode::OK);
    assert!(device_cookie(&verify).is_none());
    let body: Value = verify.json().await.unwrap();
    assert_eq!(body["requires_mfa"], true);
    assert_eq!(body["message"], "Additional verification required");
    let preauth = body["preauth_token"].as_str().unwrap().to_owned();
    assert!(body.get("access_token").is_none());
    app.mail.wait_for_subject(&email, CODE_SUBJECT, 0).await;
    let code = latest_code(&app, &email);

    let exchange = |code: String| {
        phone
            .client
            .post(phone.url("/api/auth/mfa/verify"))
            .header("x-forwarded-for", ELSEWHERE)
            .json(&json!({"preauth_token": preauth, "code": code}))
            .send()
    };
    let wrong = exchange(if code == "000000" { "111111" } else { "000000" }.into())
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "Invalid code"
    );
    let tokens = exchange(code.clone()).await.unwrap();
    assert_eq!(tokens.status(), StatusCode::OK);
    assert!(device_cookie(&tokens).is_some());
    let tokens: Value = tokens.json().await.unwrap();
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    let replay = exchange(code).await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

    // The JSON login answers the MFA shape and says where the code went.
    let laptop = app.new_device();
    let step = api_login(&laptop, "203.0.113.50", &email, PASSWORD).await;
    let step: Value = step.json().await.unwrap();
    assert_eq!(step["mfa_required"], true);
    assert_eq!(step["mfa_method"], "email_code");

    // Over the block threshold: the seed's 403.
    spray(&app, "203.0.113.99", 10).await;
    let blocked = api_login(&app.new_device(), "203.0.113.99", &email, PASSWORD).await;
    assert_eq!(blocked.status(), StatusCode::FORBIDDEN);
    let body: Value = blocked.json().await.unwrap();
    assert_eq!(
        body["error"],
        "Suspicious login detected. Please contact support."
    );
    assert_eq!(body["error_code"], "FORBIDDEN");
    assert!(body["timestamp"].is_string());
    app.mail.wait_for_subject(&email, BLOCKED_SUBJECT, 0).await;
}

#[tokio::test]
async fn codes_are_rate_limited_per_address_and_wrong_ones_per_user() {
    let app = spawn(|s| s.rate_limit.mail_per_address_per_hour = 2).await;
    let email = account_with_history(&app).await;
    let first = at_code_step(&app, &email).await;
    let code = latest_code(&app, &email);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            send_code(&first, wrong).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    // A new sign-in gets a new code (the budget's second mail), but the user's window of wrong
    // codes is full: even this ticket's first code is throttled.
    let second = at_code_step(&app, &email).await;
    let throttled = send_code(&second, &latest_code(&app, &email)).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    // The address's mail budget is used up: no third code is sent.
    let before = app.mail.messages_to(&email).len();
    let third = login_from(&app.new_device(), ELSEWHERE, &email, PASSWORD).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail.messages_to(&email).len(), before);
}
