//! Admin API routes of plans and roles, org providers, signing keys and the audit trail, with
//! each kind of actor (owner, org admin, member, another org's admin) and bad input.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin_api::{
    assert_error, call, delete, get, member_token, org_admin_token, owner_token, post,
};
use crate::helpers::{TestApp, spawn_app};

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, Some(token), reqwest::Method::PUT, path, Some(body)).await
}

/// Two organizations, an owner, an admin of each, a member of the first.
struct Actors {
    owner: String,
    admin_a: String,
    admin_b: String,
    member_a: String,
}

async fn actors(app: &TestApp) -> Actors {
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    Actors {
        owner: owner_token(app).await.1,
        admin_a: org_admin_token(app, "acme").await,
        admin_b: org_admin_token(app, "globex").await,
        member_a: member_token(app, "acme").await,
    }
}

#[tokio::test]
async fn roles_and_plans_over_the_api() {
    let app = spawn_app().await;
    let who = actors(&app).await;
    let editor = json!({"permissions": ["docs:write", "docs:read"]});

    let defined = put(
        &app,
        &who.admin_a,
        "/api/admin/orgs/acme/roles/editor",
        editor.clone(),
    )
    .await;
    assert_eq!(defined.0, StatusCode::OK, "{}", defined.1);
    assert_eq!(
        defined.1,
        json!({"role": "editor", "permissions": ["docs:read", "docs:write"]})
    );
    for token in [&who.admin_b, &who.member_a] {
        let refused = put(
            &app,
            token,
            "/api/admin/orgs/acme/roles/editor",
            editor.clone(),
        )
        .await;
        assert_error(&refused, StatusCode::FORBIDDEN, "FORBIDDEN");
    }
    let unknown_field = put(
        &app,
        &who.admin_a,
        "/api/admin/orgs/acme/roles/editor",
        json!({"permissions": [], "perms": []}),
    )
    .await;
    assert_error(&unknown_field, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let bad_name = put(
        &app,
        &who.admin_a,
        "/api/admin/orgs/acme/roles/a%20b",
        editor,
    )
    .await;
    assert_error(&bad_name, StatusCode::BAD_REQUEST, "BAD_REQUEST");

    let listed = get(&app, &who.admin_a, "/api/admin/orgs/acme/roles").await;
    assert_eq!(listed.1.as_array().unwrap().len(), 1, "{}", listed.1);
    assert_error(
        &get(&app, &who.admin_b, "/api/admin/orgs/acme/roles").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );

    // Plans: platform owners only.
    let plan = json!({"plan": "enterprise", "features": ["sso"]});
    assert_error(
        &put(
            &app,
            &who.admin_a,
            "/api/admin/orgs/acme/plan",
            plan.clone(),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    let set = put(&app, &who.owner, "/api/admin/orgs/acme/plan", plan.clone()).await;
    assert_eq!(set.0, StatusCode::OK, "{}", set.1);
    assert_eq!(
        set.1,
        json!({"org": "acme", "plan": "enterprise", "features": ["sso"]})
    );
    assert_error(
        &put(&app, &who.owner, "/api/admin/orgs/nope/plan", plan).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );

    let deleted = delete(&app, &who.admin_a, "/api/admin/orgs/acme/roles/editor").await;
    assert_eq!(deleted.0, StatusCode::NO_CONTENT);
    assert_error(
        &delete(&app, &who.admin_a, "/api/admin/orgs/acme/roles/editor").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn org_providers_over_the_api_never_return_the_secret() {
    let app = spawn_app().await;
    let who = actors(&app).await;
    let secret = "s3cret-value-never-shown";
    let body = json!({"client_id": "acme-gh", "client_secret": secret, "auto_link": true});

    let set = call(
        &app,
        Some(&who.admin_a),
        reqwest::Method::PUT,
        "/api/admin/orgs/acme/providers/github",
        Some(body.clone()),
    )
    .await;
    assert_eq!(set.0, StatusCode::OK, "{}", set.1);
    assert_eq!(set.1["client_id"], "acme-gh");
    assert_eq!(set.1["has_secret"], true);
    assert_eq!(set.1["auto_link"], true);
    assert!(
        set.1["callback_url"]
            .as_str()
            .unwrap()
            .ends_with("/auth/github/callback")
    );
    let listed = get(&app, &who.admin_a, "/api/admin/orgs/acme/providers").await;
    for answer in [&set.1, &listed.1] {
        assert!(!answer.to_string().contains(secret), "{answer}");
        assert!(!answer.to_string().contains("client_secret"), "{answer}");
    }
    assert_eq!(listed.1.as_array().unwrap().len(), 1);

    for (token, path, body, status, code) in [
        (
            &who.admin_b,
            "/api/admin/orgs/acme/providers/github",
            body.clone(),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        ),
        (
            &who.member_a,
            "/api/admin/orgs/acme/providers/github",
            body.clone(),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        ),
        (
            &who.admin_a,
            "/api/admin/orgs/acme/providers/gitlab",
            body.clone(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            &who.admin_a,
            "/api/admin/orgs/acme/providers/github",
            json!({"client_id": "only-id"}),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            &who.admin_a,
            "/api/admin/orgs/acme/providers/github",
            json!({"secret": "x"}),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            &who.admin_a,
            "/api/admin/orgs/acme/providers/microsoft",
            json!({"tenant": "not-a-tenant"}),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
    ] {
        let answer = put(&app, token, path, body).await;
        assert_error(&answer, status, code);
    }
    // Nothing of the refused calls was stored.
    let listed = get(&app, &who.owner, "/api/admin/orgs/acme/providers").await;
    assert_eq!(listed.1.as_array().unwrap().len(), 1, "{}", listed.1);
    assert_eq!(listed.1[0]["client_id"], "acme-gh");

    let removed = delete(&app, &who.admin_a, "/api/admin/orgs/acme/providers/github").await;
    assert_eq!(removed.0, StatusCode::NO_CONTENT);
    assert_error(
        &delete(&app, &who.admin_a, "/api/admin/orgs/acme/providers/github").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
}

fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn signing_keys_are_listed_rotated_and_retired_by_platform_owners_only() {
    let app = spawn_app().await;
    let who = actors(&app).await;

    let listed = get(&app, &who.owner, "/api/admin/keys").await;
    assert_eq!(listed.0, StatusCode::OK, "{}", listed.1);
    let old = listed.1[0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(listed.1[0]["status"], "active");
    assert!(!listed.1.to_string().contains("private"), "{}", listed.1);
    for token in [&who.admin_a, &who.member_a] {
        assert_error(
            &get(&app, token, "/api/admin/keys").await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert_error(
            &post(&app, token, "/api/admin/keys/rotate", json!({})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }
    for bad in [
        json!({"delay_secs": -1}),
        json!({"delay_secs": 99999999}),
        json!({"alg": "HS256"}),
        json!({"delay": 0}),
    ] {
        assert_error(
            &post(&app, &who.owner, "/api/admin/keys/rotate", bad).await,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        );
    }

    let rotated = post(
        &app,
        &who.owner,
        "/api/admin/keys/rotate",
        json!({"delay_secs": 0}),
    )
    .await;
    assert_eq!(rotated.0, StatusCode::CREATED, "{}", rotated.1);
    let new = rotated.1["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        rotated.1["status"], "active",
        "a zero delay activates at once"
    );
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(jwks_kids(&jwks).contains(&new));
    assert!(
        jwks_kids(&jwks).contains(&old),
        "the old key verifies its tokens until they expire"
    );

    // A compromised key: retired and unpublished at once.
    let retired = post(
        &app,
        &who.owner,
        &format!("/api/admin/keys/{old}/retire"),
        json!({"immediate": true}),
    )
    .await;
    assert_eq!(retired.0, StatusCode::OK, "{}", retired.1);
    assert_eq!(retired.1["status"], "retired");
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(!jwks_kids(&jwks).contains(&old));
    // The owner's own admin JWT was signed by the old key: it is void now, as is every token
    // the compromised key signed.
    assert_error(
        &get(&app, &who.owner, "/api/admin/keys").await,
        StatusCode::UNAUTHORIZED,
        "JWT_ERROR",
    );
    let owner = owner_token(&app).await.1;
    let who = Actors { owner, ..who };
    assert_error(
        &post(
            &app,
            &who.owner,
            "/api/admin/keys/no-such-kid/retire",
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_error(
        &post(
            &app,
            &who.owner,
            &format!("/api/admin/keys/{old}/retire"),
            json!({}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
    );
    // Retiring the active key puts a new one in its place: tokens are still signed.
    let replaced = post(
        &app,
        &who.owner,
        &format!("/api/admin/keys/{new}/retire"),
        json!({}),
    )
    .await;
    assert_eq!(replaced.0, StatusCode::OK, "{}", replaced.1);
    let keys = get(&app, &who.owner, "/api/admin/keys").await.1;
    let active: Vec<&Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["status"] == "active" && k["alg"] == "RS256")
        .collect();
    assert_eq!(active.len(), 1, "{keys}");
    assert_ne!(active[0]["kid"], new.as_str());
    let email = crate::helpers::unique_email();
    app.verified_user(&email).await;
    let login: Value = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": crate::helpers::PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(login["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(
        header.kid.as_deref(),
        active[0]["kid"].as_str(),
        "signed by the successor"
    );
    let events = get(
        &app,
        &who.owner,
        "/api/admin/audit-events?action=key.retired",
    )
    .await;
    assert_eq!(
        events.1["events"].as_array().unwrap().len(),
        2,
        "{}",
        events.1
    );
}

#[tokio::test]
async fn audit_events_are_filtered_paged_and_confined_to_the_callers_org() {
    let app = spawn_app().await;
    let who = actors(&app).await;
    for role in ["r1", "r2", "r3"] {
        let answer = put(
            &app,
            &who.admin_a,
            &format!("/api/admin/orgs/acme/roles/{role}"),
            json!({"permissions": []}),
        )
        .await;
        assert_eq!(answer.0, StatusCode::OK);
    }
    let answer = put(
        &app,
        &who.admin_b,
        "/api/admin/orgs/globex/roles/other",
        json!({"permissions": []}),
    )
    .await;
    assert_eq!(answer.0, StatusCode::OK);

    // The owner sees every org's events; paging by one goes through all of them in order.
    let all = get(
        &app,
        &who.owner,
        "/api/admin/audit-events?action=org.role_defined",
    )
    .await;
    assert_eq!(all.0, StatusCode::OK, "{}", all.1);
    assert_eq!(all.1["events"].as_array().unwrap().len(), 4);
    let mut seen = Vec::new();
    let mut path = "/api/admin/audit-events?action=org.role_defined&limit=1".to_owned();
    loop {
        let page = get(&app, &who.owner, &path).await.1;
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 1);
        seen.extend(events.iter().map(|e| e["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!(
                    "/api/admin/audit-events?action=org.role_defined&limit=1&cursor={cursor}"
                )
            }
            None => break,
        }
    }
    let ids: Vec<Value> = all.1["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(seen, ids, "paging returns every event once, newest first");
    let first = &all.1["events"][0];
    assert_eq!(first["outcome"], "success");
    assert!(first["actor"].as_str().unwrap().starts_with("user:"));
    assert!(first["details"]["role"].is_string());

    // An org admin names their org and sees only its events.
    assert_error(
        &get(&app, &who.admin_a, "/api/admin/audit-events").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    let own = get(
        &app,
        &who.admin_a,
        "/api/admin/audit-events?org=acme&action=org.role_defined",
    )
    .await;
    assert_eq!(own.1["events"].as_array().unwrap().len(), 3, "{}", own.1);
    for (token, path) in [
        (&who.admin_a, "/api/admin/audit-events?org=globex"),
        (&who.admin_a, "/api/admin/audit-events?org=no-such-org"),
        (&who.member_a, "/api/admin/audit-events?org=acme"),
    ] {
        assert_error(
            &get(&app, token, path).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
    }

    // Filters: actor, outcome, time range.
    let actor = first["actor"].as_str().unwrap();
    let by_actor = get(
        &app,
        &who.owner,
        &format!("/api/admin/audit-events?actor={actor}&action=org.role_defined"),
    )
    .await;
    assert!(
        by_actor.1["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == actor)
    );
    let failures = get(
        &app,
        &who.owner,
        "/api/admin/audit-events?action=org.role_defined&outcome=failure",
    )
    .await;
    assert_eq!(failures.1["events"], json!([]));
    let future = get(
        &app,
        &who.owner,
        "/api/admin/audit-events?since=2999-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(future.1["events"], json!([]));

    // Bad input.
    for path in [
        "/api/admin/audit-events?limit=201",
        "/api/admin/audit-events?limit=0",
        "/api/admin/audit-events?limit=-1",
        "/api/admin/audit-events?cursor=not-a-cursor",
        "/api/admin/audit-events?since=yesterday",
        "/api/admin/audit-events?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        "/api/admin/audit-events?outcome=maybe",
        "/api/admin/audit-events?colour=blue",
    ] {
        assert_error(
            &get(&app, &who.owner, path).await,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        );
    }
}

#[tokio::test]
async fn a_pre_auth_jwt_is_no_admin_token() {
    let app = spawn_app().await;
    let (email, _, _) = crate::helpers::mfa::enrolled_user(&app).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::users::set_platform_owner(&app.db, user.id, true)
        .await
        .unwrap();
    let first: Value = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": crate::helpers::PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let preauth = first["access_token"].as_str().unwrap();

    let answer = get(&app, preauth, "/api/admin/orgs").await;

    assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{}", answer.1);
}

#[tokio::test]
async fn the_cli_and_the_api_write_the_same_role_event() {
    let app = spawn_app().await;
    let who = actors(&app).await;
    app.cli(&[
        "org",
        "role",
        "define",
        "--org",
        "acme",
        "--role",
        "cli-role",
        "--permission",
        "p",
    ])
    .await;
    put(
        &app,
        &who.admin_a,
        "/api/admin/orgs/acme/roles/api-role",
        json!({"permissions": ["p"]}),
    )
    .await;

    let events = get(
        &app,
        &who.owner,
        "/api/admin/audit-events?action=org.role_defined",
    )
    .await
    .1;
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let org = events[0]["org_id"].clone();
    for (event, actor) in events.iter().zip(["user:", "cli"]) {
        assert!(
            event["actor"].as_str().unwrap().starts_with(actor),
            "{event}"
        );
        assert_eq!(event["target"], events[0]["target"]);
        assert_eq!(event["org_id"], org);
        assert_eq!(event["details"]["permissions"], json!(["p"]));
    }
}
