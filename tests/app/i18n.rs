//! Translations (issue 17): the language of a page from `ui_locales`, the saved preference,
//! `Accept-Language` and the default, in that order; `<html lang>`; mail in German.
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, ServiceOptions, TestApp, csrf_of, spawn_app, unique_email};

/// A page fetched with an `Accept-Language` header: its status and body.
async fn page_in(app: &TestApp, path: &str, accept_language: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("Accept-Language", accept_language)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

fn is_german_login(html: &str) -> bool {
    html.contains(r#"<html lang="de">"#) && html.contains("<h1>Anmelden</h1>")
}

fn is_english_login(html: &str) -> bool {
    html.contains(r#"<html lang="en">"#) && html.contains("<h1>Sign in</h1>")
}

#[tokio::test]
async fn accept_language_chooses_a_shipped_language_and_english_is_the_default() {
    let app = spawn_app().await;
    let (status, html) = page_in(&app, "/login", "de-AT, en;q=0.5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_german_login(&html), "{html}");
    assert!(html.contains("Passwort vergessen?"), "{html}");
    let (_, html) = page_in(&app, "/login", "ja, de;q=0.9, en;q=0.8").await;
    assert!(is_german_login(&html), "quality values decide: {html}");
    let (_, html) = page_in(&app, "/login", "ja").await;
    assert!(is_english_login(&html), "no shipped language: {html}");
    let html = app.get_html("/login").await;
    assert!(is_english_login(&html), "no header: {html}");
    let (_, html) = page_in(&app, "/forgot-password", "de").await;
    assert!(html.contains("Passwort zurücksetzen"), "{html}");
}

#[tokio::test]
async fn the_configured_default_applies_when_the_browser_names_no_shipped_language() {
    let app = crate::helpers::spawn_app_with(|s| s.branding.default_language = "de".into()).await;
    let html = app.get_html("/login").await;
    assert!(is_german_login(&html), "{html}");
    let (_, html) = page_in(&app, "/login", "en").await;
    assert!(
        is_english_login(&html),
        "the browser's language wins: {html}"
    );
}

#[tokio::test]
async fn ui_locales_of_an_authorization_request_carry_through_the_sign_in() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let url = format!("{}&ui_locales=es-MX%20de", rp.authorize(&["openid"]).url);
    let response = app
        .client
        .get(&url)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let login = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/login?"), "{login}");
    // The login page does not repeat ui_locales: the sign-in remembers them.
    let (_, html) = page_in(&app, &login, "en").await;
    assert!(is_german_login(&html), "{html}");
    assert!(
        html.contains("um mit <strong>Acme Web</strong> fortzufahren"),
        "{html}"
    );
}

#[tokio::test]
async fn the_saved_preference_beats_accept_language_and_ui_locales_beat_it() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    assert!(app.login(&email, PASSWORD).await.status().is_redirection());

    let (_, account) = page_in(&app, "/account", "en").await;
    assert!(
        account.contains(r#"<option value="" selected>"#),
        "{account}"
    );
    let saved = app
        .post_form("/account/language", &account, &[("language", "de")])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    let (_, account) = page_in(&app, "/account", "en").await;
    assert!(account.contains(r#"<html lang="de">"#), "{account}");
    assert!(account.contains("<h1>Ihr Konto</h1>"), "{account}");
    assert!(
        account.contains(r#"<option value="de" lang="de" selected>Deutsch</option>"#),
        "{account}"
    );
    // A moment: the German text, the UTC time on hover, the machine-readable value.
    assert!(account.contains(r#"<time datetime=""#), "{account}");
    assert!(account.contains(" UTC</time>"), "{account}");

    let (_, english) = page_in(&app, "/account?ui_locales=en", "de").await;
    assert!(english.contains("<h1>Your account</h1>"), "{english}");

    let refused = app
        .post_form("/account/language", &account, &[("language", "xx")])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // Back to following the browser.
    let reset = app
        .post_form("/account/language", &account, &[("language", "")])
        .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    let (_, account) = page_in(&app, "/account", "en").await;
    assert!(account.contains("<h1>Your account</h1>"), "{account}");
}

#[tokio::test]
async fn a_german_registration_gets_a_german_verification_mail() {
    let app = spawn_app().await;
    let email = unique_email();
    let (_, page) = page_in(&app, "/register", "de").await;
    assert!(page.contains("<h1>Konto erstellen</h1>"), "{page}");
    let registered = app
        .client
        .post(app.url("/register"))
        .header("Accept-Language", "de")
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::OK);
    let mail = app.mail.wait_for(&email).await;
    let text = mail.text();
    assert!(text.starts_with("Hallo,"), "{text}");
    assert!(
        text.contains("Bitte bestätigen Sie, dass dies Ihre E-Mail-Adresse ist"),
        "{text}"
    );
    assert!(!mail.subject().contains("Verify"), "{}", mail.subject());
    assert!(mail.raw.contains(r#"lang=3D"de""#) || mail.raw.contains(r#"lang="de""#));
    // The link still verifies, and the page it opens is German too.
    let link = url::Url::parse(&mail.link()).unwrap();
    let path = format!("{}?{}", link.path(), link.query().unwrap_or_default());
    let (_, verify) = page_in(&app, &path, "de").await;
    assert!(verify.contains("E-Mail-Adresse bestätigen"), "{verify}");
}

#[tokio::test]
async fn a_refused_sign_in_is_explained_in_the_pages_language() {
    let app = spawn_app().await;
    let (_, page) = page_in(&app, "/login", "de").await;
    let refused = app
        .client
        .post(app.url("/login"))
        .header("Accept-Language", "de")
        .form(&[
            ("email", "nobody@example.com"),
            ("password", "wrong password"),
            ("csrf_token", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("E-Mail-Adresse oder Passwort ist falsch"),
        "{html}"
    );
    let (status, missing) = page_in(&app, "/no-such-page", "de").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Seite nicht gefunden"), "{missing}");
}

#[tokio::test]
async fn weak_passwords_and_bad_addresses_are_refused_in_german() {
    let app = spawn_app().await;
    let (_, page) = page_in(&app, "/register", "de").await;
    let refused = app
        .client
        .post(app.url("/register"))
        .header("Accept-Language", "de")
        .form(&[
            ("email", "not an address"),
            ("password", "password"),
            ("csrf_token", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Dieses Passwort gehört zu den häufigsten"),
        "{html}"
    );
    assert!(html.contains("Diese E-Mail-Adresse ist ungültig"), "{html}");
    assert!(!html.contains("Invalid email format"), "{html}");

    // Signed in with German saved: the change-password form says it in German too.
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    let account = app.get_html("/account").await;
    app.post_form("/account/language", &account, &[("language", "de")])
        .await;
    let form = app.get_html("/account/password").await;
    let short = app
        .post_form(
            "/account/password",
            &form,
            &[("current_password", PASSWORD), ("new_password", "kurz")],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = short.text().await.unwrap();
    assert!(
        html.contains("Das Passwort muss mindestens 8 Zeichen lang sein"),
        "{html}"
    );
    let wrong = app
        .post_form(
            "/account/password",
            &form,
            &[
                ("current_password", "not the password"),
                ("new_password", "a long new passphrase"),
            ],
        )
        .await;
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains("Das ist nicht Ihr aktuelles Passwort."),
        "{html}"
    );
}

#[tokio::test]
async fn dates_on_the_account_pages_are_time_elements_with_utc_on_hover() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    for path in ["/account", "/account/devices"] {
        let (_, html) = page_in(&app, path, "de").await;
        assert!(html.contains(r#"<time datetime=""#), "{path}: {html}");
        assert!(html.contains(r#" UTC" data-local>"#), "{path}: {html}");
        // No moment printed as raw text: each sits in a <time> element.
        let outside: String = html
            .split("<time ")
            .map(|part| part.split_once("</time>").map_or(part, |(_, rest)| rest))
            .collect();
        assert!(!outside.contains(" UTC"), "{path}: {outside}");
    }
    let (_, devices) = page_in(&app, "/account/devices", "de").await;
    assert!(devices.contains("Zuletzt verwendet am <time"), "{devices}");
}

#[tokio::test]
async fn french_is_shipped_too() {
    let app = spawn_app().await;
    let (_, html) = page_in(&app, "/login", "fr-CA, en;q=0.5").await;
    assert!(html.contains(r#"<html lang="fr">"#), "{html}");
    assert!(html.contains("<h1>Se connecter</h1>"), "{html}");
    assert!(html.contains("Mot de passe oublié ?"), "{html}");
    let refused = app
        .client
        .post(app.url("/login"))
        .header("Accept-Language", "fr")
        .form(&[
            ("email", "nobody@example.com"),
            ("password", "wrong password"),
            ("csrf_token", &csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Adresse e-mail ou mot de passe incorrect"),
        "{html}"
    );
}

#[tokio::test]
async fn the_json_api_answers_in_english_whatever_the_browser_language() {
    let app = spawn_app().await;
    let refused = app
        .client
        .post(app.url("/api/auth/login"))
        .header("Accept-Language", "de")
        .json(&serde_json::json!({"email": "ghost@example.com", "password": "nope nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "Invalid email or password", "{body}");
}
