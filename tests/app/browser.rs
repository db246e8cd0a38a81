//! Real-browser tests: headless Chromium (Debian's `chromium`) driven by playwright-core scripts
//! in `tests/browser/`, against the real app and a real SMTP listener. `tests/run` installs both.
use std::path::Path;
use std::process::Command;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::rp::{RelyingParty, callback_params};
use crate::helpers::{ServiceOptions, TestApp, spawn_app_with, unique_email};

/// Browsers need a host name (passkeys refuse IP addresses), so the issuer is `localhost`.
pub(crate) async fn browser_app() -> (TestApp, String) {
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost")
    })
    .await;
    let mailbox = app.mail.serve_mailbox_http();
    (app, mailbox)
}

/// Runs a script with node and returns its stdout; fails the test with its output otherwise.
pub(crate) async fn run_script(script: &str, env: Vec<(&'static str, String)>) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "browser tests need `npm ci --prefix tests/browser` and Debian's chromium: run `tests/run` (see README)"
    );
    let script = dir.join(script);
    let output =
        tokio::task::spawn_blocking(move || Command::new("node").arg(script).envs(env).output())
            .await
            .unwrap()
            .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_registers_verifies_and_signs_in_with_a_real_browser() {
    let (app, mailbox) = browser_app().await;
    run_script(
        "register_verify_sign_in.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("MAILBOX_URL", mailbox),
        ],
    )
    .await;
}

/// A fresh verified user, and a relying app whose callback the mailbox server answers: `script`
/// runs the app's authorize request in Chromium; the app then exchanges the code it lands with.
/// Returns the user's email and the verified ID token claims.
async fn sign_in_to_a_relying_app(
    script: &str,
) -> (String, openidconnect::core::CoreIdTokenClaims) {
    let (app, mailbox) = browser_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let callback = format!("{mailbox}/callback");
    let service = app
        .create_service(ServiceOptions {
            redirect_uris: vec![callback.clone()],
            ..ServiceOptions::default()
        })
        .await;
    let rp = RelyingParty::discover(
        &app.address,
        &service.client_id,
        service.secret.as_deref(),
        &callback,
    )
    .await;
    let request = rp.authorize(&["openid", "email"]);

    let stdout = run_script(
        script,
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("AUTHORIZE_URL", request.url.clone()),
            ("CALLBACK_URL", callback),
            ("USER_EMAIL", email.clone()),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
        ],
    )
    .await;

    let landed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LANDED "))
        .expect("the script reports where it landed");
    let params = callback_params(landed);
    assert_eq!(params["state"], *request.state.secret());
    let tokens = rp.exchange(&params["code"], request.verifier).await;
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    (email, claims)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relying_app_signs_a_person_in_through_login_and_consent_in_a_real_browser() {
    // Chromium signs in on the hosted page, approves consent and lands on the callback.
    let (email, claims) = sign_in_to_a_relying_app("authorize_with_consent.mjs").await;

    assert_eq!(claims.email().unwrap().as_str(), email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_app_with_a_private_use_scheme_gets_its_code_and_sign_out_in_a_real_browser() {
    // RFC 8252 §7.1: `com.example.app:/callback`. The CSP's form-action ('self' http: https:)
    // must not stop the redirects that follow the sign-in, consent and sign-out forms.
    let (app, _mailbox) = browser_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let callback = "com.example.app:/callback".to_owned();
    let signed_out = "com.example.app:/signed-out".to_owned();
    let service = app
        .create_service(ServiceOptions {
            public: true,
            redirect_uris: vec![callback.clone()],
            post_logout_redirect_uris: vec![signed_out.clone()],
            ..ServiceOptions::default()
        })
        .await;
    let rp = RelyingParty::discover(&app.address, &service.client_id, None, &callback).await;
    let request = rp.authorize(&["openid", "email"]);
    let logout = format!(
        "{}/end-session?{}",
        app.address,
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &service.client_id)
            .append_pair("post_logout_redirect_uri", &signed_out)
            .append_pair("state", "bye")
            .finish()
    );

    let stdout = run_script(
        "private_scheme_redirect.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("AUTHORIZE_URL", request.url.clone()),
            ("CALLBACK_URL", callback),
            ("LOGOUT_URL", logout),
            ("POST_LOGOUT_URL", signed_out),
            ("USER_EMAIL", email.clone()),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
        ],
    )
    .await;

    let landed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LANDED "))
        .expect("the script reports where it landed");
    let params = callback_params(landed);
    assert_eq!(params["state"], *request.state.secret());
    let tokens = rp.exchange(&params["code"], request.verifier).await;
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    assert_eq!(claims.email().unwrap().as_str(), email);
    let signed_out = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SIGNED_OUT "))
        .expect("the script reports the sign-out redirect");
    assert_eq!(callback_params(signed_out)["state"], "bye");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_enrols_totp_and_signs_in_with_it_in_a_real_browser() {
    let (app, mailbox) = browser_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    run_script(
        "totp_enrol_and_sign_in.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("MAILBOX_URL", mailbox),
            ("USER_EMAIL", email),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_enters_a_device_code_signs_in_and_approves_in_a_real_browser() {
    // Arrange: a verified user, and a CLI (public service) that asked for codes.
    let (app, _mailbox) = browser_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app
        .create_service(ServiceOptions {
            public: true,
            grant_types: vec!["urn:ietf:params:oauth:grant-type:device_code"],
            redirect_uris: vec![],
            ..ServiceOptions::default()
        })
        .await;
    let codes: serde_json::Value = app
        .client
        .post(app.url("/device_authorization"))
        .form(&[
            ("client_id", service.client_id.as_str()),
            ("scope", "openid email"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Act: Chromium enters the code, signs in and approves.
    run_script(
        "device_approve.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("USER_CODE", codes["user_code"].as_str().unwrap().to_owned()),
            ("USER_EMAIL", email),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
        ],
    )
    .await;

    // Assert: the CLI's next poll gets the tokens.
    let tokens: serde_json::Value = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", service.client_id.as_str()),
            ("device_code", codes["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(tokens["access_token"].is_string(), "{tokens}");
    assert!(tokens["id_token"].is_string(), "{tokens}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_adds_a_passkey_and_signs_in_with_it_alone_in_a_real_browser() {
    // Add a passkey, sign out, sign in with it alone, then through the relying app (autofill),
    // then email-first with a security key.
    let (email, claims) = sign_in_to_a_relying_app("passkey.mjs").await;

    // The relying app's ID token says a hardware-bound key (and MFA) signed the person in.
    assert_eq!(claims.email().unwrap().as_str(), email);
    let amr: Vec<String> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect();
    assert!(amr.iter().any(|m| m == "hwk"), "amr: {amr:?}");
    assert!(amr.iter().any(|m| m == "mfa"), "amr: {amr:?}");
    assert!(!amr.iter().any(|m| m == "pwd"), "amr: {amr:?}");
}

/// Runs a JSON passkey script for `email` (with a first-party access token) and returns the
/// JSON it prints after `RESULT `.
async fn run_passkey_script(
    script: &str,
    app: &TestApp,
    access_token: String,
    email: &str,
) -> serde_json::Value {
    let stdout = run_script(
        script,
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("ACCESS_TOKEN", access_token),
            ("USER_EMAIL", email.to_owned()),
        ],
    )
    .await;
    serde_json::from_str(
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .expect("the script reports its result"),
    )
    .unwrap()
}

/// A fresh verified user signed in through the JSON API: the email and the access token.
async fn signed_in_through_the_api(app: &TestApp) -> (String, String) {
    let email = unique_email();
    app.verified_user(&email).await;
    let login: serde_json::Value = app
        .post_json(
            "/api/auth/login",
            serde_json::json!({ "email": email, "password": crate::helpers::PASSWORD }),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    (email, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_passkey_ceremonies_work_with_a_real_authenticator() {
    let (app, _) = browser_app().await;
    let (email, access_token) = signed_in_through_the_api(&app).await;
    // Two-step sign-in is on, yet a passkey sign-in (user verified) needs no TOTP code.
    crate::helpers::assert_redirect_to(
        &app.login(&email, crate::helpers::PASSWORD).await,
        "/account",
    );
    crate::helpers::mfa::enrol_totp_signed_in(&app).await;

    let result = run_passkey_script("passkey_json.mjs", &app, access_token, &email).await;

    // Registration: seed 004's shape.
    assert_eq!(result["registered"]["body"]["success"], true);
    assert!(result["registered"]["body"]["passkey_id"].is_string());
    assert_eq!(result["allowCredentials"], 1);
    // Sign-in: tokens for the built-in first-party service, a passkey login.
    let first = &result["first"];
    assert_eq!(first["status"], 200, "{first}");
    let token = first["body"]["token"].as_str().unwrap();
    assert_eq!(first["body"]["access_token"], token);
    assert!(
        first["body"]["refresh_token"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert_eq!(first["body"]["last_login_method"], "passkey");
    assert!(first["body"].get("preauth_token").is_none(), "{first}");
    // Seed 004's device trust: the token of the trusted device this sign-in established.
    let device = first["body"]["device_trust_token"].as_str().unwrap();
    let row = gatehouse::store::entities::trusted_devices::Entity::find()
        .filter(
            gatehouse::store::entities::trusted_devices::Column::TokenHash
                .eq(gatehouse::keys::hash_token(device)),
        )
        .one(&app.db)
        .await
        .unwrap()
        .expect("the device is stored by its hash");
    let me: serde_json::Value = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(first["body"]["user_id"], me["id"]);
    assert_eq!(row.user_id.to_string(), me["id"].as_str().unwrap());
    // A replayed answer is refused; so is an old answer for a new challenge.
    assert_eq!(result["replayed"]["status"], 400);
    assert!(
        result["replayed"]["body"]["error"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    assert_eq!(result["mismatched"]["status"], 400);
    // The next real sign-in (a higher counter) works.
    assert_eq!(result["second"]["status"], 200, "{}", result["second"]);
    let logins = gatehouse::store::audit_events::list_for_action(&app.db, "passkey.login")
        .await
        .unwrap();
    assert_eq!(logins.iter().filter(|e| e.outcome == "success").count(), 2);

    // A cloned authenticator (same key, counter behind) is refused and audited.
    assert_eq!(result["cloned"]["status"], 400, "{}", result["cloned"]);
    assert!(
        result["cloned"]["body"]["error"]
            .as_str()
            .unwrap()
            .contains("signature counter went backwards"),
        "{}",
        result["cloned"]
    );
    let clones = gatehouse::store::audit_events::list_for_action(&app.db, "passkey.clone_detected")
        .await
        .unwrap();
    assert_eq!(clones.len(), 1);

    // The login page's email-first start: an unknown address gets a ceremony shaped like a
    // real one (one to three credentials of the stored length, same fields), and the same decoy every time.
    let starts = &result["pageStarts"];
    let (known, unknown) = (&starts["known"]["body"], &starts["unknown"]["body"]);
    assert_eq!(starts["known"]["status"], 200, "{starts}");
    assert_eq!(starts["unknown"]["status"], 200, "{starts}");
    let fields = |v: &serde_json::Value| {
        let mut keys: Vec<String> = v["options"].as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(fields(known), fields(unknown));
    for field in ["rpId", "userVerification", "timeout"] {
        assert_eq!(
            known["options"][field], unknown["options"][field],
            "{field}"
        );
    }
    let ids = |v: &serde_json::Value| v["options"]["allowCredentials"].clone();
    let decoys = ids(unknown).as_array().unwrap().clone();
    assert!((1..=3).contains(&decoys.len()), "{decoys:?}");
    let real_length = ids(known)[0]["id"].as_str().unwrap().len();
    assert!(
        decoys
            .iter()
            .all(|d| d["id"].as_str().unwrap().len() == real_length),
        "decoy ids look like real ones"
    );
    assert_eq!(ids(unknown), ids(&starts["unknownAgain"]["body"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusual_sign_in_is_finished_with_the_emailed_code_in_a_real_browser() {
    // Chromium names its network with X-Forwarded-For through the trusted test proxy.
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost");
        s.server.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let mailbox = app.mail.serve_mailbox_http();
    let email = unique_email();
    app.verified_user(&email).await;
    // The account's history: one sign-in from another browser on the loopback network.
    crate::helpers::assert_redirect_to(
        &app.login(&email, crate::helpers::PASSWORD).await,
        "/account",
    );

    run_script(
        "email_code_step.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("MAILBOX_URL", mailbox),
            ("USER_EMAIL", email.clone()),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
        ],
    )
    .await;

    let verified = gatehouse::store::audit_events::list_for_action(&app.db, "risk.code_verify")
        .await
        .unwrap();
    let outcomes: Vec<&str> = verified.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failure", "success"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_risky_json_passkey_sign_in_gets_the_seeds_403() {
    let (app, _) = browser_app().await;
    let (email, access_token) = signed_in_through_the_api(&app).await;
    let org = app.create_org("strict", "Strict").await;
    let user = gatehouse::store::users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &["member".into()])
        .await
        .unwrap();
    gatehouse::admin::risk::set_step_up_untrusted(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        "strict",
        true,
        &gatehouse::domain::RequestMeta::default(),
    )
    .await
    .unwrap();

    let result = run_passkey_script("passkey_risk.mjs", &app, access_token, &email).await;

    assert_eq!(result["registered"]["status"], 200, "{result}");
    assert_eq!(result["finish"]["status"], 403, "{result}");
    assert_eq!(
        result["finish"]["body"]["error"],
        "Additional verification required. Please use another login method."
    );
    assert!(result["finish"]["body"].get("token").is_none());
    assert_eq!(
        result["deviceCookie"], false,
        "no device trust without the step"
    );
    let decisions = gatehouse::store::audit_events::list_for_action(&app.db, "risk.assessed")
        .await
        .unwrap();
    let last: serde_json::Value =
        serde_json::from_str(decisions.last().unwrap().details.as_deref().unwrap()).unwrap();
    assert_eq!(last["decision"], "step_up");
    assert_eq!(last["method"], "passkey");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_continues_with_github_from_a_relying_apps_login_page_in_a_real_browser() {
    // Arrange: GitHub (the mock upstream) set up for the platform; a first-party relying app.
    let mock = crate::helpers::upstream::MockUpstream::start().await;
    let address = mock.address.clone();
    let app = spawn_app_with(move |s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost");
        s.providers.github.client_id = Some("platform-github-id".into());
        s.providers.github.client_secret = Some("platform-github-secret".to_owned().into());
        s.providers.github.base_url = address.clone();
        s.providers.github.api_base_url = address;
    })
    .await;
    let mailbox = app.mail.serve_mailbox_http();
    let email = unique_email();
    mock.sign_in_as(crate::helpers::upstream::GithubUser::with_email(
        7007, &email, true,
    ));
    let callback = format!("{mailbox}/callback");
    let service = app
        .create_service(ServiceOptions {
            redirect_uris: vec![callback.clone()],
            ..ServiceOptions::first_party()
        })
        .await;
    let rp = RelyingParty::discover(
        &app.address,
        &service.client_id,
        service.secret.as_deref(),
        &callback,
    )
    .await;
    let request = rp.authorize(&["openid", "email"]);

    // Act: Chromium clicks "Continue with GitHub" and follows the redirects.
    let stdout = run_script(
        "continue_with_github.mjs",
        vec![
            ("AUTHORIZE_URL", request.url.clone()),
            ("CALLBACK_URL", callback),
        ],
    )
    .await;

    // Assert: the app's code gives an ID token for the GitHub account, saying how it signed in.
    let landed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LANDED "))
        .expect("the script reports where it landed");
    let params = callback_params(landed);
    assert_eq!(params["state"], *request.state.secret());
    let tokens = rp.exchange(&params["code"], request.verifier).await;
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    assert_eq!(claims.email().unwrap().as_str(), email);
    let raw = crate::federation::jwt_claims(
        &openidconnect::TokenResponse::id_token(&tokens)
            .unwrap()
            .to_string(),
    );
    assert_eq!(raw["amr"], serde_json::json!(["fed"]));
    assert_eq!(raw["idp"], "github");
}

/// Where the browser tests leave their screenshots for a reviewer: `target/screenshots/`.
pub(crate) fn screenshot_dir() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branded_orgs_login_page_shows_its_name_logo_and_colours_in_light_and_dark() {
    use gatehouse::admin::branding::{BrandingInput, Change, Logo, set_branding};
    let (app, mailbox) = browser_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let callback = format!("{mailbox}/callback");
    let service = app
        .create_service(ServiceOptions {
            redirect_uris: vec![callback.clone()],
            ..ServiceOptions::first_party()
        })
        .await;
    let org_id = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap()
        .org_id;
    let logo = br##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40"><rect width="40" height="40" rx="8" fill="#0b6e4f"/><path d="M10 30 20 10 30 30z" fill="#fff"/></svg>"##;
    set_branding(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        &gatehouse::domain::RequestMeta::default(),
        BrandingInput {
            org_id,
            display_name: Some(Change::Set("Acme Brand".into())),
            logo: Some(Change::Set(Logo::Upload(logo.to_vec()))),
            accent: Some(Change::Set("#0b6e4f".into())),
            support_url: Some(Change::Set("https://acme.example/help".into())),
            privacy_url: Some(Change::Set("https://acme.example/privacy".into())),
            terms_url: Some(Change::Set("https://acme.example/terms".into())),
        },
    )
    .await
    .unwrap();
    let rp = RelyingParty::discover(
        &app.address,
        &service.client_id,
        service.secret.as_deref(),
        &callback,
    )
    .await;
    let request = rp.authorize(&["openid", "email"]);
    let stdout = run_script(
        "branded_sign_in.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("AUTHORIZE_URL", request.url.clone()),
            ("CALLBACK_URL", callback),
            ("USER_EMAIL", email.clone()),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
            ("SCREENSHOT_DIR", screenshot_dir()),
            ("ORG_NAME", "Acme Brand".to_owned()),
            ("SERVICE_NAME", "Acme Web".to_owned()),
        ],
    )
    .await;
    let landed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LANDED "))
        .expect("the script reports where it landed");
    let params = callback_params(landed);
    let tokens = rp.exchange(&params["code"], request.verifier).await;
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    assert_eq!(claims.email().unwrap().as_str(), email);
}

/// An org admin sets the organization's mail server (the org's own SMTP listener receives the
/// test mail) and its branding (the org's login page shows its name and colour).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_sets_the_orgs_mail_server_and_branding_in_the_console() {
    let (app, _mailbox) = browser_app().await;
    let org_sink = crate::helpers::SmtpSink::start().await;
    let org_mailbox = org_sink.serve_mailbox_http();
    let service = app.create_service(ServiceOptions::first_party()).await;
    let row = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let org = gatehouse::store::organizations::find_by_id(&app.db, row.org_id)
        .await
        .unwrap()
        .unwrap();
    let email = unique_email();
    app.verified_user(&email).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &["admin".to_owned()])
        .await
        .unwrap();
    run_script(
        "console_org_settings.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("ORG_SLUG", org.slug.clone()),
            ("ORG_SMTP_PORT", org_sink.port.to_string()),
            ("ORG_MAILBOX_URL", org_mailbox),
            ("ADMIN_EMAIL", email.clone()),
            ("ADMIN_PASSWORD", crate::helpers::PASSWORD.to_owned()),
            ("SCREENSHOT_DIR", screenshot_dir()),
        ],
    )
    .await;
    assert_eq!(
        org_sink.auths(),
        vec!["mailer\0browser-smtp-secret".to_owned()]
    );
    assert!(
        app.mail
            .messages_to(&email)
            .iter()
            .all(|m| m.subject() != "Gatehouse test mail")
    );
}
