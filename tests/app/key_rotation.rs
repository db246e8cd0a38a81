//! Signing-key rotation seen by relying parties.
use serde_json::Value;

use crate::helpers::oidc::tokens_for;
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::spawn_app;

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_they_expire() {
    let app = spawn_app().await;
    let (_service, rp, tokens) = tokens_for(&app, &["openid", "offline_access"]).await;
    let old_kid = app.state.keys.active_kid().unwrap();

    // Rotate with no delay, as `gatehouse keys rotate --delay-secs 0` does.
    let next = app
        .state
        .keys
        .rotate(&app.db, chrono::Duration::zero())
        .await
        .unwrap();
    assert!(
        app.state
            .keys
            .promote_due(&app.db, chrono::Duration::hours(1))
            .await
            .unwrap()
    );

    assert_eq!(app.state.keys.active_kid().unwrap(), next.kid);
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&next.kid.as_str()),
        "{kids:?}"
    );
    assert!(
        rp.userinfo(&access_of(&tokens)).await.is_ok(),
        "a token signed by the retired key still works"
    );
    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();
    let header = jsonwebtoken::decode_header(access_of(&refreshed)).unwrap();
    assert_eq!(header.kid.unwrap(), next.kid, "new tokens use the new key");
    let listed: Vec<(String, String)> = app
        .state
        .keys
        .list()
        .into_iter()
        .map(|k| (k.kid, k.status.to_string()))
        .collect();
    assert!(listed.contains(&(old_kid, "retired".into())));
}
