//! What real relying-party software (mod_auth_openidc, Authlib, oidc-agent) sends and expects.
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::oidc::code_for;
use crate::helpers::rp::access_of;
use crate::helpers::{CALLBACK, ServiceOptions, TestApp, TestService, spawn_app};

async fn exchange_with_basic(
    app: &TestApp,
    service: &TestService,
    secret: &str,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/token"))
        .basic_auth(&service.client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_public_client_sending_basic_with_an_empty_secret_is_treated_as_sending_no_secret() {
    // Authlib sends `Authorization: Basic base64("client_id:")` for a public client
    // (RFC 6749 §2.3.1: an empty password is no password).
    let app = spawn_app().await;
    let public = ServiceOptions {
        public: true,
        ..ServiceOptions::default()
    };
    let (service, _rp, request, code) = code_for(&app, public, &["openid"]).await;

    let (status, body) =
        exchange_with_basic(&app, &service, "", &code, request.verifier.secret()).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn a_confidential_client_sending_an_empty_secret_is_refused_and_its_code_stays_usable() {
    let app = spawn_app().await;
    let (service, _rp, request, code) =
        code_for(&app, ServiceOptions::default(), &["openid"]).await;
    let verifier = request.verifier.secret().clone();

    let (status, body) = exchange_with_basic(&app, &service, "", &code, &verifier).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    // Nothing was used up: the code still works with the real secret.
    let secret = service.secret.clone().unwrap();
    let (status, _) = exchange_with_basic(&app, &service, &secret, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn userinfo_omits_claims_without_a_value_instead_of_answering_null() {
    // OIDC Core §5.3.2; mod_auth_openidc stored `"name": null` as the literal name.
    let app = spawn_app().await;
    let (_service, rp, request, code) = code_for(
        &app,
        ServiceOptions::default(),
        &["openid", "profile", "email"],
    )
    .await;
    let tokens = rp.exchange(&code, request.verifier).await;

    let response = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(access_of(&tokens))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["email"].is_string(), "{body}");
    let object = body.as_object().unwrap();
    assert!(!object.contains_key("name"), "no name, no claim: {body}");
    assert!(object.values().all(|v| !v.is_null()), "{body}");
}

#[tokio::test]
async fn a_private_use_scheme_redirect_ends_on_a_same_origin_page_under_the_usual_csp() {
    // Chromium applies form-action to every redirect after a form POST; the sign-in form's
    // chain must end on our own page, which then opens the app (RFC 8252 §7.1).
    let app = spawn_app().await;
    let email = crate::helpers::unique_email();
    app.verified_user(&email).await;
    let callback = "com.example.app:/callback";
    let service = app
        .create_service(ServiceOptions {
            public: true,
            redirect_uris: vec![callback.to_owned()],
            ..ServiceOptions::first_party()
        })
        .await;
    let rp = crate::helpers::rp::RelyingParty::discover(
        &app.address,
        &service.client_id,
        None,
        callback,
    )
    .await;
    let request = rp.authorize(&["openid"]);

    let page = app
        .authorize_in_browser(&request.url, &email, "approve")
        .await;

    let target = regex::Regex::new(r#"<a id="return-to-app" href="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .expect("a link to the app")[1]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(
        target.starts_with("com.example.app:/callback?code="),
        "{target}"
    );
    assert!(
        page.contains(
            r#"<meta http-equiv="refresh" content="0;url=com.example.app:/callback?code="#
        )
    );
    let params = crate::helpers::rp::callback_params(&target);
    assert_eq!(params["state"], *request.state.secret());
    let tokens = rp.exchange(&params["code"], request.verifier).await;
    rp.verify_id_token(&tokens, &request.nonce);

    // form_post: the page's own form-action admits the app's scheme, and only that.
    let request = rp.authorize(&["openid"]);
    let response = app
        .client
        .get(format!("{}&response_mode=form_post", request.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.headers()
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action 'self' http: https: com.example.app:;"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"action="com.example.app:/callback""#),
        "{html}"
    );
}
