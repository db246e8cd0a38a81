//! Federation with OIDC providers that sign their own ID tokens (issue 14 items 2 and 6):
//! the mock's Microsoft-like multi-tenant persona and its Google-like persona.
use reqwest::StatusCode;

use crate::federation::{follow, page};
use crate::federation_bad_input::federated_rows;
use crate::helpers::upstream_oidc::{IdTokenFlaw, MockOidc, OidcUser};
use crate::helpers::{TestApp, spawn_app_with, unique_email};
use gatehouse::store::{federated_identities, users};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

async fn app_with_microsoft(mock: &MockOidc, allowed: &[&str]) -> TestApp {
    let address = mock.address.clone();
    let allowed: Vec<String> = allowed.iter().map(|t| (*t).to_owned()).collect();
    spawn_app_with(move |s| {
        s.providers.microsoft.client_id = Some("platform-ms-id".into());
        s.providers.microsoft.client_secret = Some("platform-ms-secret".to_owned().into());
        s.providers.microsoft.authority_host = address;
        s.providers.microsoft.tenant = "common".into();
        s.providers.microsoft.allowed_tenants = allowed;
        s.providers.timeout_secs = 2;
    })
    .await
}

async fn app_with_google(mock: &MockOidc, hosted_domain: Option<&str>) -> TestApp {
    let issuer = mock.google_issuer();
    let hd = hosted_domain.map(str::to_owned);
    spawn_app_with(move |s| {
        s.providers.google.client_id = Some("platform-google-id".into());
        s.providers.google.client_secret = Some("platform-google-secret".to_owned().into());
        s.providers.google.issuer = issuer;
        s.providers.google.hosted_domain = hd;
        s.providers.timeout_secs = 2;
    })
    .await
}

#[tokio::test]
async fn microsoft_multi_tenant_sign_in_keys_the_identity_on_tenant_and_object_id() {
    let mock = MockOidc::start().await;
    let app = app_with_microsoft(&mock, &[]).await;
    let email = unique_email();
    mock.sign_in_as(OidcUser::microsoft(TENANT, "oid-1", &email, Some(true)));

    let (status, body) = page(follow(&app, "/auth/microsoft").await);

    assert_eq!(status, StatusCode::OK, "{body}");
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .expect("an account for the verified email");
    assert!(user.email_verified);
    let linked = federated_identities::list_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].subject, format!("{TENANT}:oid-1"));
    assert_eq!(linked[0].issuer, format!("{}/{TENANT}/v2.0", mock.address));
}

#[tokio::test]
async fn a_microsoft_email_without_xms_edov_true_is_not_verified_and_creates_nothing() {
    let mock = MockOidc::start().await;
    let app = app_with_microsoft(&mock, &[]).await;
    for (oid, edov) in [("oid-2", None), ("oid-3", Some(false))] {
        mock.sign_in_as(OidcUser::microsoft(TENANT, oid, &unique_email(), edov));
        let (status, body) = page(follow(&app.new_device(), "/auth/microsoft").await);
        assert_eq!(status, StatusCode::FORBIDDEN, "{edov:?}: {body}");
        assert!(
            body.contains("did not confirm a verified email address"),
            "{body}"
        );
    }
    assert_eq!(federated_rows(&app).await, (0, 0));
}

#[tokio::test]
async fn a_tenant_that_is_not_a_uuid_or_not_allowed_is_refused_and_creates_nothing() {
    let mock = MockOidc::start().await;
    let app = app_with_microsoft(&mock, &[TENANT]).await;
    // A token naming a malformed tenant is the provider's bad answer (502); a tenant that is
    // not allowed is a refusal of the person (403).
    for (tid, expected, expected_status) in [
        (
            "../../evil",
            "could not be verified",
            StatusCode::BAD_GATEWAY,
        ),
        (
            "0b1f4a9c-0000-4000-8000-000000000001",
            "Your Microsoft organization is not allowed to sign in",
            StatusCode::FORBIDDEN,
        ),
    ] {
        mock.sign_in_as(OidcUser::microsoft(
            tid,
            "oid-4",
            &unique_email(),
            Some(true),
        ));
        let (status, body) = page(follow(&app.new_device(), "/auth/microsoft").await);
        assert_eq!(status, expected_status, "{tid}");
        assert!(body.contains(expected), "{tid}: {body}");
    }
    assert_eq!(federated_rows(&app).await, (0, 0));
}

#[tokio::test]
async fn bad_id_tokens_each_give_a_friendly_page_and_create_nothing() {
    let mock = MockOidc::start().await;
    let app = app_with_microsoft(&mock, &[]).await;
    mock.sign_in_as(OidcUser::microsoft(
        TENANT,
        "oid-5",
        &unique_email(),
        Some(true),
    ));
    for flaw in [
        IdTokenFlaw::WrongIssuer,
        IdTokenFlaw::WrongAudience,
        IdTokenFlaw::WrongNonce,
        IdTokenFlaw::ForeignSignature,
        IdTokenFlaw::Hs256,
    ] {
        mock.set_flaw(flaw);
        let (status, body) = page(follow(&app.new_device(), "/auth/microsoft").await);
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{flaw:?}: {body}");
        assert!(
            body.contains("The answer from Microsoft could not be verified"),
            "{flaw:?}: {body}"
        );
    }
    assert_eq!(federated_rows(&app).await, (0, 0));
}

#[tokio::test]
async fn google_signs_in_only_accounts_of_the_required_hosted_domain() {
    let mock = MockOidc::start().await;
    let app = app_with_google(&mock, Some("example.com")).await;

    mock.sign_in_as(OidcUser::google("g-1", &unique_email(), Some("other.com")));
    let (status, body) = page(follow(&app.new_device(), "/auth/google").await);
    assert!(status.is_client_error(), "{status}");
    assert!(
        body.contains("Only example.com accounts can sign in with Google here"),
        "{body}"
    );
    mock.sign_in_as(OidcUser::google("g-2", &unique_email(), None));
    let (status, _) = page(follow(&app.new_device(), "/auth/google").await);
    assert!(status.is_client_error(), "no hd at all is refused too");
    assert_eq!(federated_rows(&app).await, (0, 0));

    let email = unique_email();
    mock.sign_in_as(OidcUser::google("g-3", &email, Some("example.com")));
    let (status, body) = page(follow(&app.new_device(), "/auth/google").await);
    assert_eq!(status, StatusCode::OK, "{body}");
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let linked = federated_identities::list_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(linked[0].subject, "g-3");
}
