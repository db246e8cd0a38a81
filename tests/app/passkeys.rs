//! Passkey ceremonies over the JSON API (seed 004) and their refusals. A full ceremony with a
//! real authenticator runs in the browser test (`browser.rs`); these cover the server's checks.
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::rp::access_of;
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, spawn_app, spawn_app_with, unique_email};
use gatehouse::store::entities::{users, webauthn_ceremonies};
use gatehouse::store::passkeys::{self, NewPasskey};

/// WebAuthn needs a host name: the issuer is `localhost`, as in the browser tests.
pub(crate) async fn localhost_app() -> TestApp {
    spawn_app_with(|s| s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost"))
        .await
}

async fn bearer_for(app: &TestApp, email: &str) -> String {
    app.verified_user(email).await;
    let tokens: Value = app
        .post_json(
            "/api/auth/login",
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// The user's row, to give it passkeys directly in the store.
async fn user_row(app: &TestApp, email: &str) -> users::Model {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the user exists")
}

async fn post_bearer(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// A registration answer that is well-formed JSON but whose client data is garbage.
fn malformed_registration() -> Value {
    json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": { "clientDataJSON": "bm90LWpzb24", "attestationObject": "AAAA" }
    })
}

pub(crate) fn malformed_assertion(raw_id: &str) -> Value {
    json!({
        "id": raw_id,
        "rawId": raw_id,
        "type": "public-key",
        "response": {
            "clientDataJSON": "bm90LWpzb24",
            "authenticatorData": "AAAA",
            "signature": "AAAA",
            "userHandle": null
        }
    })
}

async fn start_registration(app: &TestApp, token: &str) -> String {
    let response = post_bearer(
        app,
        "/auth/passkeys/register/start",
        token,
        json!({ "name": "My Security Key" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["challenge_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn registration_start_returns_options_for_this_relying_party() {
    let app = localhost_app().await;
    let email = unique_email();
    let token = bearer_for(&app, &email).await;

    let response = post_bearer(
        &app,
        "/auth/passkeys/register/start",
        &token,
        json!({ "name": "My Security Key" }),
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(uuid::Uuid::parse_str(body["challenge_id"].as_str().unwrap()).is_ok());
    let options = &body["options"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], email);
    assert!(options["challenge"].as_str().unwrap().len() >= 43);
    let selection = &options["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "preferred");
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(options["excludeCredentials"], json!([]));

    // No access token, no ceremony.
    let anonymous = app
        .post_json("/auth/passkeys/register/start", json!({ "name": "x" }))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_third_party_apps_access_token_cannot_add_a_passkey_or_read_the_account() {
    // A relying app holds its users' access tokens; with one it must not plant its own passkey
    // on the account (a lasting way in), nor read the email its scopes did not grant.
    let app = localhost_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let (rp, tokens) = app
        .tokens_through_browser(&service, &email, &["openid"])
        .await;
    let token = access_of(&tokens);
    // The token itself is good: userinfo takes it.
    assert!(rp.userinfo(&token).await.is_ok());

    for (path, body) in [
        (
            "/auth/passkeys/register/start",
            json!({ "name": "Planted" }),
        ),
        (
            "/auth/passkeys/register/finish",
            json!({ "challenge_id": uuid::Uuid::new_v4(), "credential": malformed_registration() }),
        ),
    ] {
        let (status, error) = error_of(post_bearer(&app, path, &token, body).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(error.contains("first-party"), "{path}: {error}");
    }
    let me = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::FORBIDDEN);
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["error_code"], "FORBIDDEN");
    assert!(body.get("email").is_none());
    assert!(
        passkeys::list_for_user(&app.db, user_row(&app, &email).await.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_json_api_adds_a_passkey_only_after_a_recent_sign_in() {
    let app = localhost_app().await;
    let token = bearer_for(&app, &unique_email()).await;
    // The same token, as if its sign-in were an hour old (a refreshed token keeps its auth_time).
    let mut validation =
        jsonwebtoken::Validation::new(jsonwebtoken::decode_header(&token).unwrap().alg);
    validation.validate_aud = false;
    let mut claims: Value = app
        .state
        .keys
        .verify(&token, validation)
        .map(|data| data.claims)
        .unwrap();
    claims["auth_time"] = json!(chrono::Utc::now().timestamp() - 3600);
    let stale = app
        .state
        .keys
        .sign(&claims, "RS256", Some("at+jwt"))
        .unwrap();

    for path in [
        "/auth/passkeys/register/start",
        "/auth/passkeys/register/finish",
    ] {
        let body = json!({ "name": "Key", "challenge_id": uuid::Uuid::new_v4(), "credential": malformed_registration() });
        let (status, error) = error_of(post_bearer(&app, path, &stale, body).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(error.contains("Sign in again"), "{path}: {error}");
    }
    start_registration(&app, &token).await;
}

#[tokio::test]
async fn registration_finish_refuses_malformed_replayed_foreign_expired_and_unknown_challenges() {
    let app = localhost_app().await;
    let alice = bearer_for(&app, &unique_email()).await;
    let bob = bearer_for(&app, &unique_email()).await;
    let finish = |token: String, challenge_id: String, credential: Value| {
        let app = app.clone();
        async move {
            error_of(
                post_bearer(
                    &app,
                    "/auth/passkeys/register/finish",
                    &token,
                    json!({ "challenge_id": challenge_id, "credential": credential }),
                )
                .await,
            )
            .await
        }
    };

    // Another user's challenge: 401, and the challenge survives for its owner.
    let challenge = start_registration(&app, &alice).await;
    let (status, error) = finish(bob.clone(), challenge.clone(), malformed_registration()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error, "This challenge does not belong to you");

    // Malformed client data: 400 with a clear message.
    let (status, error) = finish(alice.clone(), challenge.clone(), malformed_registration()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.contains("malformed"), "{error}");

    // Replayed: the challenge was used up by the first attempt.
    let (status, error) = finish(alice.clone(), challenge, malformed_registration()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.contains("already used"), "{error}");

    // Expired.
    let challenge = start_registration(&app, &alice).await;
    webauthn_ceremonies::Entity::update_many()
        .col_expr(
            webauthn_ceremonies::Column::ExpiresAt,
            Expr::value(gatehouse::store::now() - chrono::Duration::seconds(1)),
        )
        .filter(webauthn_ceremonies::Column::Id.eq(uuid::Uuid::parse_str(&challenge).unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, error) = finish(alice.clone(), challenge, malformed_registration()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.contains("expired"), "{error}");

    // Unknown or not an id at all.
    for unknown in [uuid::Uuid::new_v4().to_string(), "not-an-id".to_owned()] {
        let (status, error) = finish(alice.clone(), unknown, malformed_registration()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error, "Invalid or expired challenge");
    }

    // Not a credential at all: the body is refused before any ceremony is touched.
    let challenge = start_registration(&app, &alice).await;
    let (status, error) = finish(alice.clone(), challenge, json!({ "id": 1 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.starts_with("Invalid request body"), "{error}");

    // Failed registrations are audited.
    let failures = gatehouse::store::audit_events::list_for_action(&app.db, "passkey.register")
        .await
        .unwrap();
    assert!(failures.iter().any(|e| e.outcome == "failure"));
}

#[tokio::test]
async fn authentication_start_is_discoverable_or_email_first() {
    let app = localhost_app().await;
    let email = unique_email();
    let _ = bearer_for(&app, &email).await;

    // Discoverable: no email, no credentials listed.
    let response = app
        .post_json("/auth/passkeys/authenticate/start", json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["challenge_id"].is_string());
    assert_eq!(body["options"]["rpId"], "localhost");
    assert_eq!(body["options"]["userVerification"], "required");

    // Email-first: unknown user, and a user without passkeys.
    let unknown = app
        .post_json(
            "/auth/passkeys/authenticate/start",
            json!({ "email": unique_email() }),
        )
        .await;
    let (status, error) = error_of(unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error, "User not found");
    let (status, error) = error_of(
        app.post_json(
            "/auth/passkeys/authenticate/start",
            json!({ "email": email }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error, "No passkeys registered for this user");
}

#[tokio::test]
async fn authentication_finish_refuses_unknown_credentials_wrong_ceremonies_and_replays() {
    let app = localhost_app().await;
    let token = bearer_for(&app, &unique_email()).await;
    let start = || async {
        let body: Value = app
            .post_json("/auth/passkeys/authenticate/start", json!({}))
            .await
            .json()
            .await
            .unwrap();
        body["challenge_id"].as_str().unwrap().to_owned()
    };
    let finish = |challenge_id: String| {
        let app = app.clone();
        async move {
            error_of(
                app.post_json(
                    "/auth/passkeys/authenticate/finish",
                    json!({ "challenge_id": challenge_id, "credential": malformed_assertion("AAAA") }),
                )
                .await,
            )
            .await
        }
    };

    // A credential nobody registered.
    let challenge = start().await;
    let (status, error) = finish(challenge.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error, "This passkey is not registered here");
    // The challenge is gone after one attempt.
    let (status, error) = finish(challenge).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.contains("already used"), "{error}");

    // A registration challenge cannot finish a sign-in.
    let registration = start_registration(&app, &token).await;
    let (status, error) = finish(registration).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error, "Invalid or expired challenge");
}

#[tokio::test]
async fn a_registered_credential_with_malformed_client_data_is_refused() {
    let app = localhost_app().await;
    let email = unique_email();
    let _ = bearer_for(&app, &email).await;
    let user = user_row(&app, &email).await;
    // A stored passkey row whose credential id the malformed answer names.
    passkeys::insert(
        &app.db,
        NewPasskey {
            user_id: user.id,
            name: "Stored",
            credential_id: "AAAA",
            passkey: "{}".into(),
            counter: 0,
        },
    )
    .await
    .unwrap();
    let body: Value = app
        .post_json("/auth/passkeys/authenticate/start", json!({}))
        .await
        .json()
        .await
        .unwrap();

    let (status, error) = error_of(
        app.post_json(
            "/auth/passkeys/authenticate/finish",
            json!({ "challenge_id": body["challenge_id"], "credential": malformed_assertion("AAAA") }),
        )
        .await,
    )
    .await;

    // No user handle, so the discoverable ceremony cannot even name an account.
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!error.is_empty());
}

#[tokio::test]
async fn the_signature_counter_only_moves_forward() {
    let app = localhost_app().await;
    let email = unique_email();
    let _ = bearer_for(&app, &email).await;
    let user = user_row(&app, &email).await;
    let row = passkeys::insert(
        &app.db,
        NewPasskey {
            user_id: user.id,
            name: "Key",
            credential_id: "counter-test",
            passkey: "{}".into(),
            counter: 0,
        },
    )
    .await
    .unwrap();
    let now = gatehouse::store::now();

    assert!(
        passkeys::record_use(&app.db, row.id, "{}".into(), 5, now)
            .await
            .unwrap()
    );
    assert!(
        !passkeys::record_use(&app.db, row.id, "{}".into(), 3, now)
            .await
            .unwrap(),
        "backwards"
    );
    assert!(
        !passkeys::record_use(&app.db, row.id, "{}".into(), 5, now)
            .await
            .unwrap(),
        "repeated"
    );
    assert!(
        !passkeys::record_use(&app.db, row.id, "{}".into(), 0, now)
            .await
            .unwrap(),
        "reset to 0"
    );
    assert!(
        passkeys::record_use(&app.db, row.id, "{}".into(), 6, now)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_deleted() {
    let app = localhost_app().await;
    let email = unique_email();
    let _ = bearer_for(&app, &email).await;
    let mut user = user_row(&app, &email).await;
    let insert = |name: &'static str, credential_id: &'static str| {
        let db = app.db.clone();
        let user_id = user.id;
        async move {
            passkeys::insert(
                &db,
                NewPasskey {
                    user_id,
                    name,
                    credential_id,
                    passkey: "{}".into(),
                    counter: 0,
                },
            )
            .await
            .unwrap()
        }
    };
    let first = insert("First", "first-id").await;
    let second = insert("Second", "second-id").await;
    let meta = gatehouse::domain::RequestMeta::default();
    // A passkey-only account (no password).
    user.password_hash = None;

    gatehouse::auth::passkeys::delete(&app.state, &user, first.id, &meta)
        .await
        .expect("another passkey remains");
    let refused = gatehouse::auth::passkeys::delete(&app.state, &user, second.id, &meta)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("last way to sign in"),
        "{refused}"
    );
    assert_eq!(passkeys::count_for_user(&app.db, user.id).await.unwrap(), 1);
    let audited = gatehouse::store::audit_events::list_for_action(&app.db, "passkey.delete")
        .await
        .unwrap();
    assert_eq!(
        audited
            .iter()
            .map(|e| e.outcome.as_str())
            .collect::<Vec<_>>(),
        ["success", "failure"]
    );

    // Renaming checks the name and is audited.
    assert!(
        gatehouse::auth::passkeys::rename(&app.state, &user, second.id, "  ", &meta)
            .await
            .is_err()
    );
    gatehouse::auth::passkeys::rename(&app.state, &user, second.id, "Phone", &meta)
        .await
        .unwrap();
    let rows = passkeys::list_for_user(&app.db, user.id).await.unwrap();
    assert_eq!(rows[0].name, "Phone");
}

#[tokio::test]
async fn passkeys_are_unavailable_with_a_clear_message_when_the_issuer_is_an_ip_address() {
    let app = spawn_app().await;
    let token = bearer_for(&app, &unique_email()).await;

    let (status, error) = error_of(
        post_bearer(
            &app,
            "/auth/passkeys/register/start",
            &token,
            json!({ "name": "x" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.contains("host name"), "{error}");
    let login = app.get_html("/login").await;
    assert!(!login.contains("Sign in with a passkey"));
    assert!(!login.contains("passkey.js"));
}

#[tokio::test]
async fn the_script_is_served_and_the_login_page_offers_passkeys() {
    let app = localhost_app().await;
    let script = app.get("/static/js/passkey.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let login = app.get_html("/login").await;
    assert!(login.contains("Sign in with a passkey"));
    // Linked with a hash of the assets, so an upgrade never meets a cached older script.
    let linked = format!(
        r#"<script src="/static/js/passkey.js?v={}" defer></script>"#,
        gatehouse::web::assets::VERSION
    );
    assert!(login.contains(&linked), "{login}");
    assert_eq!(gatehouse::web::assets::VERSION.len(), 16);
    let versioned = app
        .get(&format!(
            "/static/js/passkey.js?v={}",
            gatehouse::web::assets::VERSION
        ))
        .await;
    assert_eq!(versioned.status(), StatusCode::OK);
    assert!(login.contains(r#"autocomplete="username webauthn""#));
    // Without JavaScript, the passkey form explains itself instead of failing silently.
    assert!(login.contains(r#"id="passkey-sign-in" data-passkey hidden"#));
}

/// A minimal CBOR attestation object (`fmt: none`, 37 bytes of authenticator data).
fn attestation_object() -> String {
    use base64::Engine;
    let mut cbor = vec![0xa3, 0x63];
    cbor.extend_from_slice(b"fmt");
    cbor.push(0x64);
    cbor.extend_from_slice(b"none");
    cbor.push(0x67);
    cbor.extend_from_slice(b"attStmt");
    cbor.push(0xa0);
    cbor.push(0x68);
    cbor.extend_from_slice(b"authData");
    cbor.extend_from_slice(&[0x58, 37]);
    cbor.extend_from_slice(&[0u8; 32]);
    cbor.extend_from_slice(&[0x05, 0, 0, 0, 1]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cbor)
}

#[tokio::test]
async fn a_registration_answer_from_another_origin_is_refused() {
    use base64::Engine;
    let app = localhost_app().await;
    let token = bearer_for(&app, &unique_email()).await;
    let start: Value = post_bearer(
        &app,
        "/auth/passkeys/register/start",
        &token,
        json!({ "name": "Key" }),
    )
    .await
    .json()
    .await
    .unwrap();
    let client_data = json!({
        "type": "webauthn.create",
        "challenge": start["options"]["challenge"],
        "origin": "https://evil.example",
    });
    let credential = json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {
            "clientDataJSON": base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(client_data.to_string()),
            "attestationObject": attestation_object(),
        }
    });

    let (status, error) = error_of(
        post_bearer(
            &app,
            "/auth/passkeys/register/finish",
            &token,
            json!({ "challenge_id": start["challenge_id"], "credential": credential }),
        )
        .await,
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error, "This passkey response is for another site");
}

#[tokio::test]
async fn renaming_and_deleting_on_the_security_page_need_a_recent_sign_in() {
    use gatehouse::store::entities::browser_sessions;
    let app = localhost_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    let user = user_row(&app, &email).await;
    let key = passkeys::insert(
        &app.db,
        NewPasskey {
            user_id: user.id,
            name: "Laptop",
            credential_id: "page-test",
            passkey: "{}".into(),
            counter: 0,
        },
    )
    .await
    .unwrap();
    let page = app.get_html("/account/security").await;
    assert!(
        page.contains("Laptop") && page.contains("Never used"),
        "{page}"
    );
    // Adding one needs the script, which shows the form; without it the page says why.
    assert!(page.contains(r#"id="passkey-register" hidden"#), "{page}");
    assert!(page.contains("<noscript>"), "{page}");

    let renamed = app
        .submit(
            "/account/security",
            &format!("/account/security/passkeys/{}/rename", key.id),
            &[("name", "Work laptop")],
        )
        .await;
    crate::helpers::assert_redirect_to(&renamed, "/account/security");
    assert!(
        app.get_html("/account/security")
            .await
            .contains("Work laptop")
    );

    // An old sign-in must be renewed first.
    browser_sessions::Entity::update_many()
        .col_expr(
            browser_sessions::Column::AuthTime,
            Expr::value(gatehouse::store::now() - chrono::Duration::minutes(11)),
        )
        .filter(browser_sessions::Column::UserId.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
    let stale = app
        .submit(
            "/account/security",
            &format!("/account/security/passkeys/{}/delete", key.id),
            &[],
        )
        .await;
    crate::helpers::assert_redirect_to(&stale, "/login?again=1&next=/account/security");
    assert_eq!(passkeys::count_for_user(&app.db, user.id).await.unwrap(), 1);
    // Adding a way to sign in needs the same: a passkey (the script's 401 sends the person to
    // sign in again), an authenticator app, new backup codes.
    let add = app
        .submit(
            "/account/security",
            "/account/security/passkeys/options",
            &[("name", "Planted")],
        )
        .await;
    assert_eq!(add.status(), StatusCode::UNAUTHORIZED);
    for action in [
        "/account/security/passkeys",
        "/account/security/totp",
        "/account/security/totp/confirm",
        "/account/security/backup-codes",
    ] {
        let refused = app.submit("/account/security", action, &[]).await;
        crate::helpers::assert_redirect_to(&refused, "/login?again=1&next=/account/security");
    }

    // After signing in again the passkey can go (the password remains).
    app.submit(
        "/login?again=1",
        "/login",
        &[("email", email.as_str()), ("password", PASSWORD)],
    )
    .await;
    let deleted = app
        .submit(
            "/account/security",
            &format!("/account/security/passkeys/{}/delete", key.id),
            &[],
        )
        .await;
    crate::helpers::assert_redirect_to(&deleted, "/account/security");
    assert_eq!(passkeys::count_for_user(&app.db, user.id).await.unwrap(), 0);
}

/// Posts the login page's passkey start form (`/login/passkey/options`) with its CSRF token.
async fn page_start(app: &TestApp, email: &str) -> (StatusCode, Value) {
    let response = app
        .submit("/login", "/login/passkey/options", &[("email", email)])
        .await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_login_page_answers_alike_whether_or_not_an_address_has_passkeys() {
    let app = localhost_app().await;
    let without_passkeys = unique_email();
    let _ = bearer_for(&app, &without_passkeys).await;
    let nobody = unique_email();

    let (status, first) = page_start(&app, &nobody).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (_, again) = page_start(&app, &nobody).await;
    let (status, member) = page_start(&app, &without_passkeys).await;
    assert_eq!(status, StatusCode::OK, "{member}");

    // One to three credentials named (as many as accounts have), user verification
    // required, like a real email-first ceremony; the same decoy for the same address, another
    // for another address.
    let ids = |v: &Value| v["options"]["allowCredentials"].clone();
    assert!((1..=3).contains(&ids(&first).as_array().unwrap().len()));
    assert_eq!(ids(&first)[0]["type"], "public-key");
    assert_eq!(first["options"]["userVerification"], "required");
    assert_eq!(first["options"]["rpId"], "localhost");
    assert!(first["options"].get("extensions").is_none());
    assert_eq!(ids(&first), ids(&again));
    assert_ne!(ids(&first), ids(&member));
    assert_ne!(first["challenge_id"], again["challenge_id"]);

    // A decoy ceremony cannot be finished, not even with the decoy's credential id.
    let decoy_id = ids(&first)[0]["id"].as_str().unwrap().to_owned();
    let (status, error) = error_of(
        app.post_json(
            "/auth/passkeys/authenticate/finish",
            json!({ "challenge_id": first["challenge_id"], "credential": malformed_assertion(&decoy_id) }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error, "This passkey is not registered here");

    // Without an email the page starts a discoverable ceremony.
    let (status, discoverable) = page_start(&app, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        ids(&discoverable)
            .as_array()
            .is_none_or(|ids| ids.is_empty())
    );
}

#[tokio::test]
async fn the_login_page_start_needs_its_csrf_token() {
    let app = localhost_app().await;
    let response = app
        .client
        .post(app.url("/login/passkey/options"))
        .form(&[("email", unique_email())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ceremony_starts_and_sign_in_attempts_are_rate_limited_per_ip() {
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost");
        s.rate_limit.requests_per_ip_per_minute = 2;
        s.rate_limit.login_per_ip_per_minute = 2;
    })
    .await;
    for _ in 0..2 {
        let response = app
            .post_json("/auth/passkeys/authenticate/start", json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let throttled = app
        .post_json("/auth/passkeys/authenticate/start", json!({}))
        .await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));

    let finish = || {
        app.post_json(
            "/auth/passkeys/authenticate/finish",
            json!({ "challenge_id": uuid::Uuid::new_v4(), "credential": malformed_assertion("AAAA") }),
        )
    };
    assert_eq!(finish().await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(finish().await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(finish().await.status(), StatusCode::TOO_MANY_REQUESTS);
}
