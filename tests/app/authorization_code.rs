use openidconnect::OAuth2TokenResponse;
use reqwest::StatusCode;

use crate::helpers::rp::{access_of, callback_params};
use crate::helpers::{CALLBACK, PASSWORD, ServiceOptions, spawn_app, unique_email};

#[tokio::test]
async fn a_relying_party_signs_a_user_in_with_pkce_and_verifies_tokens_offline() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;

    // Act: the browser goes through sign-in and consent; the RP exchanges the code.
    let request = rp.authorize(&["openid", "email", "profile"]);
    let callback = app
        .authorize_in_browser(&request.url, &email, "approve")
        .await;
    let params = callback_params(&callback);
    assert_eq!(params["state"], *request.state.secret());
    assert_eq!(params["iss"], app.address, "RFC 9207 iss");
    let tokens = rp.exchange(&params["code"], request.verifier).await;

    // Assert: ID token verified against the JWKS by the library, claims as promised.
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    assert_eq!(claims.email().unwrap().as_str(), email);
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let amr: Vec<String> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    assert_eq!(amr, vec!["pwd"]);
    assert_eq!(
        claims.authorized_party().unwrap().as_str(),
        service.client_id
    );
    let userinfo = rp.userinfo(&access_of(&tokens)).await.unwrap();
    assert_eq!(userinfo.subject().as_str(), claims.subject().as_str());
    assert_eq!(userinfo.email().unwrap().as_str(), email);
    assert!(tokens.refresh_token().is_some());
}

#[tokio::test]
async fn access_tokens_are_rfc9068_jwts_with_the_promised_claims() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let (_, tokens) = app
        .tokens_through_browser(&service, &email, &["openid", "email"])
        .await;

    let access = access_of(&tokens);
    let header = jsonwebtoken::decode_header(&access).unwrap();
    let claims = crate::helpers::oidc::verified_claims(&app, &access, &service.client_id).await;

    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "jti",
        "scope",
        "client_id",
        "org",
        "service",
        "pid",
        "is_platform_owner",
        "plan",
        "features",
        "roles",
        "permissions",
        "email_verified",
        "amr",
        "auth_time",
        "sid",
    ] {
        assert!(
            claims.get(claim).is_some(),
            "access token lacks {claim}: {claims}"
        );
    }
    assert_eq!(claims["client_id"], service.client_id);
    assert_eq!(claims["email"], email);
    assert_eq!(claims["scope"], "email openid");
}

#[tokio::test]
async fn consent_is_asked_once_remembered_and_listed_on_the_account_page() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;

    let first = rp.authorize(&["openid", "email"]);
    assert!(
        callback_params(
            &app.authorize_in_browser(&first.url, &email, "approve")
                .await
        )
        .contains_key("code")
    );
    // Second time: no consent page, straight back with a code.
    let second = rp.authorize(&["openid", "email"]);
    let response = app.client.get(&second.url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(CALLBACK)
    );

    let account = app.get_html("/account").await;
    assert!(
        account.contains("Acme Web") && account.contains("See your email address"),
        "{account}"
    );
    let consent_id = regex::Regex::new(r#"name="consent_id" value="([^"]+)""#)
        .unwrap()
        .captures(&account)
        .unwrap()[1]
        .to_owned();
    app.submit(
        "/account",
        "/account/consents/revoke",
        &[("consent_id", &consent_id)],
    )
    .await;
    assert!(!app.get_html("/account").await.contains("Acme Web"));
    let third = rp.authorize(&["openid", "email"]);
    let html = app
        .client
        .get(&third.url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Acme Web wants to access your account") && html.contains("Acme Corp"),
        "consent asked again"
    );
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid"]);

    let params = callback_params(&app.authorize_in_browser(&request.url, &email, "deny").await);

    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], *request.state.secret());
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn first_party_services_skip_consent() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    app.login(&email, PASSWORD).await;

    let request = rp.authorize(&["openid"]);
    let response = app.client.get(&request.url).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(callback_params(response.headers()["location"].to_str().unwrap()).contains_key("code"));
}

#[tokio::test]
async fn prompt_none_answers_without_ui() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;

    let signed_out = app
        .client
        .get(format!("{}&prompt=none", rp.authorize(&["openid"]).url))
        .send()
        .await
        .unwrap();
    let params = callback_params(signed_out.headers()["location"].to_str().unwrap());
    assert_eq!(params["error"], "login_required");

    app.login(&email, PASSWORD).await;
    let no_consent = app
        .client
        .get(format!("{}&prompt=none", rp.authorize(&["openid"]).url))
        .send()
        .await
        .unwrap();
    let params = callback_params(no_consent.headers()["location"].to_str().unwrap());
    assert_eq!(params["error"], "consent_required");
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    app.login(&email, PASSWORD).await;

    for extra in ["&prompt=login", "&max_age=0"] {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let response = app
            .client
            .get(format!("{}{extra}", rp.authorize(&["openid"]).url))
            .send()
            .await
            .unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("/login?") && location.contains("again=1"),
            "{extra}: {location}"
        );
        let login_page = app.get_html(&location).await;
        assert!(
            login_page.contains("name=\"password\""),
            "the form is shown although a session exists"
        );
    }
}

#[tokio::test]
async fn max_age_zero_is_satisfied_by_the_sign_in_made_for_this_request_without_a_loop() {
    // max_age=0 used to be measured at the end of the sign-in: a sign-in whose second step
    // took a second sent the person back to the login form forever.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    app.login(&email, PASSWORD).await;
    // The earlier sign-in lies in an earlier second than the request.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let request = rp.authorize(&["openid"]);
    let started = chrono::Utc::now().timestamp();

    let response = app
        .client
        .get(format!("{}&max_age=0", request.url))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("again=1"),
        "an older sign-in is not enough: {location}"
    );
    let html = app.get_html(&location).await;
    let signed_in = app.login_with_next(&html, &email, PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let back = signed_in.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("/authorize/continue"), "{back}");
    // A slow second step (or a slow person) between the sign-in and the return.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let finished = app.get(&back).await;

    let target = finished.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        target.starts_with(CALLBACK),
        "the code, not the login again: {target}"
    );
    let tokens = rp
        .exchange(&callback_params(&target)["code"], request.verifier)
        .await;
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    assert!(
        claims.auth_time().unwrap().timestamp() >= started,
        "auth_time is the new sign-in"
    );
}

#[tokio::test]
async fn a_consent_approval_cannot_skip_a_required_fresh_sign_in() {
    // prompt=login sends the signed-in person to the login form; posting the consent form for
    // the pending request straight away must not issue a code on the old sign-in.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;
    app.login(&email, PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let response = app
        .client
        .get(format!("{}&prompt=login", rp.authorize(&["openid"]).url))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("again=1"), "{location}");
    let handle = location
        .split("request%3D")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .to_owned();

    let approved = app
        .submit(
            "/account",
            "/authorize/consent",
            &[("request", handle.as_str()), ("decision", "approve")],
        )
        .await;
    let target = approved.headers()["location"].to_str().unwrap();
    assert!(target.starts_with("/login?"), "{target}");
    assert!(!target.contains("code="), "{target}");
}

#[tokio::test]
async fn login_hint_prefills_the_email() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;
    let rp = app.rp(&service).await;

    let response = app
        .client
        .get(format!(
            "{}&login_hint=hinted%40example.com",
            rp.authorize(&["openid"]).url
        ))
        .send()
        .await
        .unwrap();
    let html = app
        .get_html(response.headers()["location"].to_str().unwrap())
        .await;

    assert!(html.contains(r#"value="hinted@example.com""#));
}

#[tokio::test]
async fn form_post_response_mode_renders_an_auto_submitting_form() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    app.login(&email, PASSWORD).await;

    let request = rp.authorize(&["openid"]);
    let response = app
        .client
        .get(format!("{}&response_mode=form_post", request.url))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"action="{CALLBACK}""#)));
    assert!(
        html.contains(r#"name="code""#)
            && html.contains(&format!(
                r#"name="state" value="{}""#,
                request.state.secret()
            ))
    );
    assert!(html.contains(r#"<script src="/static/form_post.js?v="#) && !html.contains("<script>"));
}

#[tokio::test]
async fn services_can_sign_with_es256_or_eddsa_and_rps_verify_via_jwks() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    for alg in ["ES256", "EdDSA"] {
        let service = app
            .create_service(ServiceOptions {
                first_party: true,
                signing_alg: Some(alg),
                ..ServiceOptions::default()
            })
            .await;
        let rp = app.rp(&service).await;
        let request = rp.authorize(&["openid"]);
        let params = callback_params(
            &app.authorize_in_browser(&request.url, &email, "approve")
                .await,
        );
        let tokens = rp.exchange(&params["code"], request.verifier).await;

        rp.verify_id_token(&tokens, &request.nonce);
        let header = jsonwebtoken::decode_header(access_of(&tokens)).unwrap();
        assert_eq!(format!("{:?}", header.alg), alg);
        assert!(
            rp.userinfo(&access_of(&tokens)).await.is_ok(),
            "{alg} access token accepted"
        );
    }
    let jwks = app.jwks().await;
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(
        algs,
        ["RS256", "ES256", "EdDSA"],
        "RS256 first, one key per algorithm in use"
    );
}
