use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};

use crate::helpers::spawn_app;

#[tokio::test]
async fn discovery_document_names_the_issuer_and_jwks() {
    let app = spawn_app().await;

    let response = app.get("/.well-known/openid-configuration").await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let doc: serde_json::Value = response.json().await.unwrap();
    assert_eq!(doc["issuer"], app.address);
    assert_eq!(
        doc["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.address)
    );
    assert_eq!(doc["id_token_signing_alg_values_supported"][0], "RS256");
}

#[tokio::test]
async fn jwks_and_discovery_revalidate_with_etag() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
    ] {
        let first = app.get(path).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();

        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        let changed = app
            .client
            .get(app.url(path))
            .header("if-none-match", "\"other\"")
            .send()
            .await
            .unwrap();

        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag.as_str());
        assert_eq!(changed.status(), 200, "{path}");
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
}

#[tokio::test]
async fn a_token_signed_by_the_keystore_verifies_with_nothing_but_the_served_jwks() {
    // Arrange
    let app = spawn_app().await;
    let claims = Claims {
        iss: app.address.clone(),
        sub: "user-1".into(),
        aud: "backend".into(),
        exp: chrono::Utc::now().timestamp() + 60,
    };
    let token = app
        .state
        .keys
        .sign(&claims, "RS256", Some("at+jwt"))
        .unwrap();

    // Act: a third-party backend fetches the JWKS and verifies offline.
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = decode_header(&token).unwrap();
    let kid = header.kid.expect("kid in header");
    let jwk = jwks.find(&kid).expect("kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&["backend"]);
    validation.set_issuer(&[app.address.as_str()]);
    let decoded =
        decode::<Claims>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();

    // Assert
    assert_eq!(decoded.claims.sub, "user-1");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let published = &jwks.keys[0];
    assert_eq!(serde_json::to_value(published).unwrap()["kty"], "RSA");
    assert_eq!(serde_json::to_value(published).unwrap()["use"], "sig");
}

#[tokio::test]
async fn signing_keys_survive_a_restart_and_are_sealed_at_rest() {
    let app = spawn_app().await;
    let kid = app.state.keys.active_kid().unwrap();

    let rows = gatehouse::store::signing_keys::list(&app.db).await.unwrap();

    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kid, kid);
    assert!(!rows[0].private_key_sealed.contains("PRIVATE KEY"));
    let state = gatehouse::startup::prepare(app.settings.clone())
        .await
        .unwrap();
    assert_eq!(state.keys.active_kid().unwrap(), kid);
}
