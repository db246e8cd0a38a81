//! `/admin/audit`: filters, paging, the org admin's view, and the CSV / JSON Lines exports.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser};
use crate::helpers::{TestApp, spawn_app};
use gatehouse::audit::{self, AuditEvent, Outcome};
use gatehouse::domain::RequestMeta;

/// Writes an audit event straight away (as any change would).
async fn event(
    app: &TestApp,
    action: &str,
    outcome: Outcome,
    target: &str,
    org: Option<uuid::Uuid>,
    user_agent: &str,
) {
    let meta = RequestMeta {
        ip: Some("203.0.113.7".parse().unwrap()),
        user_agent: Some(user_agent.to_owned()),
        device_token: None,
    };
    let mut event = AuditEvent::new(action, outcome, &meta)
        .details(serde_json::json!({ "note": "=cmd|' /C calc'!A0" }));
    event.actor = Some("cli".to_owned());
    event.target = Some(target.to_owned());
    event.org_id = org;
    audit::record(&app.db, event).await.unwrap();
}

async fn org_id(app: &TestApp, slug: &str) -> uuid::Uuid {
    gatehouse::store::organizations::find_by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn filters_narrow_the_log_and_bad_ones_are_explained() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let acme = org_id(&app, "acme").await;
    event(
        &app,
        "test.alpha",
        Outcome::Success,
        "thing:1",
        Some(acme),
        "ua",
    )
    .await;
    event(&app, "test.alpha", Outcome::Failure, "thing:2", None, "ua").await;
    event(&app, "test.beta", Outcome::Success, "thing:1", None, "ua").await;
    let owner = owner_browser(&app).await;

    // Act + Assert
    let all = owner.get_html("/admin/audit?action=test.alpha").await;
    assert_eq!(
        all.matches("class=\"event-action\">test.alpha<").count(),
        2,
        "{all}"
    );
    assert!(!all.contains(">test.beta<"), "{all}");
    let failed = owner
        .get_html("/admin/audit?action=test.alpha&outcome=failure")
        .await;
    assert_eq!(failed.matches(">test.alpha<").count(), 1, "{failed}");
    assert!(failed.contains("thing:2"), "{failed}");
    let by_target = owner.get_html("/admin/audit?target=thing%3A1").await;
    assert!(by_target.contains(">test.alpha<") && by_target.contains(">test.beta<"));
    let in_acme = owner.get_html("/admin/audit?org=acme").await;
    assert!(
        in_acme.contains("thing:1") && !in_acme.contains("thing:2"),
        "{in_acme}"
    );
    let future = owner
        .get_html("/admin/audit?action=test.alpha&from=2999-01-01T00%3A00")
        .await;
    assert!(future.contains("No events match"), "{future}");
    let past = owner
        .get_html("/admin/audit?action=test.beta&to=2999-01-01")
        .await;
    assert!(past.contains(">test.beta<"), "{past}");
    // Each event expands to its details, pretty-printed.
    assert!(
        all.contains("<details>") && all.contains("&#34;note&#34;: "),
        "{all}"
    );

    let bad = owner.get("/admin/audit?from=yesterday&action=x").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("id=\"from-error\"") && html.contains("value=\"yesterday\""),
        "{html}"
    );
    let reversed = owner
        .get("/admin/audit?from=2026-02-01&to=2026-01-01")
        .await;
    assert_eq!(reversed.status(), StatusCode::BAD_REQUEST);
    assert!(reversed.text().await.unwrap().contains("id=\"to-error\""));
}

#[tokio::test]
async fn the_log_pages_from_newest_to_oldest() {
    let app = spawn_app().await;
    for i in 0..55 {
        event(
            &app,
            "test.paged",
            Outcome::Success,
            &format!("n:{i}"),
            None,
            "ua",
        )
        .await;
    }
    let owner = owner_browser(&app).await;
    let first = owner.get_html("/admin/audit?action=test.paged").await;
    assert_eq!(first.matches(">test.paged<").count(), 50);
    let re = regex::Regex::new(r#"href="(/admin/audit\?[^"]+cursor=[^"]+)" rel="next""#).unwrap();
    let next = re.captures(&first).expect("a next page link")[1].replace("&#38;", "&");
    let second = owner.get_html(&next).await;
    assert_eq!(second.matches(">test.paged<").count(), 5, "{second}");
    assert!(second.contains("Newest events") && !second.contains("rel=\"next\""));
    let bad_cursor = owner.get("/admin/audit?cursor=nope").await;
    assert_eq!(bad_cursor.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn exports_are_attachments_with_every_matching_event_and_defused_cells() {
    // Arrange: a user agent and details a spreadsheet would run as formulas.
    let app = spawn_app().await;
    for i in 0..3 {
        event(
            &app,
            "test.export",
            Outcome::Success,
            &format!("=HYPERLINK(\"x\",{i})"),
            None,
            "@SUM(1+1)",
        )
        .await;
    }
    event(&app, "test.other", Outcome::Success, "t", None, "ua").await;
    let owner = owner_browser(&app).await;

    // Act
    let csv = owner
        .get("/admin/audit/export.csv?action=test.export")
        .await;

    // Assert: headers, the header row, three rows, defused cells.
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"gatehouse-audit-"),
        "{disposition}"
    );
    assert!(disposition.ends_with(".csv\""), "{disposition}");
    assert_eq!(csv.headers()["cache-control"], "no-store");
    let body = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[1], "action");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{body}");
    for row in &rows {
        assert_eq!(&row[1], "test.export");
        assert!(row[4].starts_with("'=HYPERLINK("), "{:?}", &row[4]);
        assert_eq!(&row[7], "'@SUM(1+1)");
        assert!(
            row[8].contains("\"note\""),
            "details as JSON: {:?}",
            &row[8]
        );
    }

    let jsonl = owner
        .get("/admin/audit/export.jsonl?action=test.export")
        .await;
    assert_eq!(jsonl.status(), StatusCode::OK);
    assert!(
        jsonl.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".jsonl\"")
    );
    let body = jsonl.text().await.unwrap();
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["action"], "test.export");
    assert_eq!(
        lines[0]["user_agent"], "@SUM(1+1)",
        "JSON keeps the value as it is"
    );

    // A bad filter is a page with the reason, not a broken download.
    let bad = owner.get("/admin/audit/export.csv?outcome=maybe").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn org_admins_read_their_orgs_events_only_members_and_strangers_nothing() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    event(
        &app,
        "test.mine",
        Outcome::Success,
        "a",
        Some(org_id(&app, "acme").await),
        "ua",
    )
    .await;
    event(
        &app,
        "test.theirs",
        Outcome::Success,
        "b",
        Some(org_id(&app, "globex").await),
        "ua",
    )
    .await;
    event(&app, "test.platform", Outcome::Success, "c", None, "ua").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;

    let page = admin.get_html("/admin/audit").await;
    assert!(page.contains(">test.mine<"), "{page}");
    assert!(
        !page.contains(">test.theirs<") && !page.contains(">test.platform<"),
        "{page}"
    );
    assert!(
        !page.contains(">All</option>"),
        "no 'all organizations' for an org admin"
    );
    let export = admin
        .get("/admin/audit/export.jsonl")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        export.contains("test.mine") && !export.contains("test.theirs"),
        "{export}"
    );
    for path in [
        "/admin/audit?org=globex",
        "/admin/audit/export.csv?org=globex",
    ] {
        assert_eq!(
            admin.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let member = member_browser(&app, "acme", &["member"]).await;
    for path in [
        "/admin/audit",
        "/admin/audit/export.csv",
        "/admin/audit/export.jsonl",
    ] {
        assert_eq!(
            member.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let anonymous = app.new_device().get(path).await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&anonymous).starts_with("/login?next="), "{path}");
    }
}
