//! `/admin/audit`: the audit log with filters (actor, target, action, outcome, organization,
//! time range), cursor paging and each event's details; exports in `audit_export.rs`. An org
//! admin reads one of their organizations (the admin layer insists on it).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::users::EventRow;
use super::{ConsoleAdmin, Nav, Section};
use crate::admin::audit_log::{self, AuditQuery};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::respond;

const PAGE_SIZE: u64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/audit", web::get().to(page))
        .route(
            "/admin/audit/export.csv",
            web::get().to(super::audit_export::csv),
        )
        .route(
            "/admin/audit/export.jsonl",
            web::get().to(super::audit_export::jsonl),
        );
}

/// The filters as the form sends them (every field text, empty meaning "any").
#[derive(Deserialize, Default, Clone)]
pub struct AuditParams {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub cursor: String,
}

/// A filter the admin typed that cannot be used, and which field it is.
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

/// A time as typed: `2026-12-03T10:00` (a `datetime-local` field), a date, or RFC 3339; UTC.
fn parse_time(raw: &str, field: &'static str) -> Result<Option<DateTime<Utc>>, FilterError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    if let Some(t) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(Some(t.and_utc()));
    }
    Err(FilterError {
        field,
        message: "Use a date and time such as 2026-12-03T09:30 (UTC).".into(),
    })
}

fn some(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|s| !s.is_empty())
}

impl AuditParams {
    /// The organization searched: an org admin who named none reads their first one.
    pub fn effective_org(&self, admin: &ConsoleAdmin) -> String {
        match (self.org.trim(), admin.is_owner()) {
            ("", false) => admin
                .orgs
                .first()
                .map(|o| o.slug.clone())
                .unwrap_or_default(),
            (slug, _) => slug.to_owned(),
        }
    }

    /// The admin layer's query for these filters.
    pub fn query(
        &self,
        org: &str,
        limit: u64,
        cursor: Option<String>,
    ) -> Result<AuditQuery, FilterError> {
        let since = parse_time(&self.from, "from")?;
        let until = parse_time(&self.to, "to")?;
        Ok(AuditQuery {
            actor: some(&self.actor),
            target: some(&self.target),
            action: some(&self.action),
            org: some(org),
            outcome: some(&self.outcome),
            since,
            until,
            limit: Some(limit),
            cursor,
        })
    }

    /// The query string of these filters (for links), without the cursor.
    pub fn query_string(&self, admin: &ConsoleAdmin) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("actor", self.actor.trim())
            .append_pair("target", self.target.trim())
            .append_pair("action", self.action.trim())
            .append_pair("outcome", self.outcome.trim())
            .append_pair("org", &self.effective_org(admin))
            .append_pair("from", self.from.trim())
            .append_pair("to", self.to.trim())
            .finish()
    }
}

/// Which filter field an admin-layer refusal is about, from its wording.
pub fn field_of(message: &str) -> &'static str {
    if message.contains("outcome") {
        "outcome"
    } else if message.contains("since") {
        "to"
    } else {
        ""
    }
}

struct AuditRow {
    event: EventRow,
    org: String,
    client: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    nav: Nav,
    filters: AuditParams,
    org: String,
    all_orgs_allowed: bool,
    error: Option<String>,
    error_field: &'static str,
    events: Vec<AuditRow>,
    first_href: Option<String>,
    next_href: Option<String>,
    export_query: String,
    export_cap: usize,
}

/// `GET /admin/audit?actor=&target=&action=&outcome=&org=&from=&to=&cursor=`.
pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, PageError> {
    let filters = params.into_inner();
    let links = filters.query_string(&admin);
    let mut view = AuditPage {
        nav: admin.nav(Section::Audit),
        org: filters.effective_org(&admin),
        all_orgs_allowed: admin.is_owner(),
        error: None,
        error_field: "",
        events: Vec::new(),
        first_href: (!filters.cursor.is_empty()).then(|| format!("/admin/audit?{links}")),
        next_href: None,
        export_query: links.clone(),
        export_cap: super::audit_export::MAX_ROWS,
        filters: filters.clone(),
    };
    let query = match filters.query(&view.org.clone(), PAGE_SIZE, some(&filters.cursor)) {
        Ok(query) => query,
        Err(e) => {
            view.error = Some(e.message);
            view.error_field = e.field;
            return Ok(respond::html(StatusCode::BAD_REQUEST, &view)?);
        }
    };
    match audit_log::list(&state, &admin.actor(), query).await {
        Ok(found) => {
            view.events = found
                .events
                .iter()
                .map(|e| AuditRow {
                    event: EventRow::from(e),
                    org: org_name(&admin, e.org_id),
                    client: [e.ip.clone(), e.user_agent.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                })
                .collect();
            view.next_href = found.next_cursor.map(|c| {
                let cursor: String = url::form_urlencoded::byte_serialize(c.as_bytes()).collect();
                format!("/admin/audit?{links}&cursor={cursor}")
            });
            Ok(respond::ok_page(&view)?)
        }
        Err(AppError::Invalid { message, .. }) => {
            view.error_field = field_of(&message);
            view.error = Some(message.into_owned());
            Ok(respond::html(StatusCode::BAD_REQUEST, &view)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// The slug of the organization of an event, as far as this admin sees organizations.
pub fn org_name(admin: &ConsoleAdmin, id: Option<uuid::Uuid>) -> String {
    id.map(|id| {
        admin
            .orgs
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.slug.clone())
    })
    .unwrap_or_default()
}
