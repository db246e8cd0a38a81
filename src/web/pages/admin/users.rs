//! `/admin/users`: search and page through users, and one user's profile, sign-in methods,
//! sessions, consents and recent audit events. The actions are in `user_actions.rs`.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::{ConsoleAdmin, Nav, Section, done_message};
use crate::admin::audit_log::{self, AuditQuery};
use crate::admin::users::{self, UserQuery, UserView};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::errors::PageError;
use crate::web::respond;

const PAGE_SIZE: u64 = 25;

/// A time as the console shows it.
pub(super) fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(list_page))
        .route("/admin/users/{id}", web::get().to(detail_page));
    super::user_actions::routes(cfg);
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    page: Option<u64>,
}

struct UserRow {
    id: Uuid,
    email: String,
    verified: bool,
    status: String,
    last_sign_in: String,
}

impl From<&UserView> for UserRow {
    fn from(u: &UserView) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            verified: u.email_verified,
            status: u.status.clone(),
            last_sign_in: u.last_login_at.map(when).unwrap_or_else(|| "never".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    nav: Nav,
    q: String,
    org: String,
    /// An owner may search every user (org ""); an org admin picks one of their orgs.
    all_orgs_allowed: bool,
    error: Option<String>,
    users: Vec<UserRow>,
    page: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn page_href(q: &str, org: &str, page: u64) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .append_pair("org", org)
        .append_pair("page", &page.to_string())
        .finish();
    format!("/admin/users?{query}")
}

/// `GET /admin/users?q=&org=&page=`. An id in `q` opens that user.
pub async fn list_page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, PageError> {
    let params = params.into_inner();
    let q = params.q.trim().to_owned();
    // An org admin lists the members of one of their organizations (the admin layer insists).
    let org = match (params.org.trim(), admin.is_owner()) {
        ("", false) => admin
            .orgs
            .first()
            .map(|o| o.slug.clone())
            .unwrap_or_default(),
        (slug, _) => slug.to_owned(),
    };
    let page = params.page.unwrap_or(1).max(1);
    let mut view = UsersPage {
        nav: admin.nav(Section::Users),
        q: q.clone(),
        org: org.clone(),
        all_orgs_allowed: admin.is_owner(),
        error: None,
        users: Vec::new(),
        page,
        prev_href: (page > 1).then(|| page_href(&q, &org, page - 1)),
        next_href: None,
    };
    if let Ok(id) = Uuid::parse_str(&q) {
        return match users::get(&state, &admin.actor(), id).await {
            Ok(_) => Ok(respond::see_other(&format!("/admin/users/{id}"))),
            Err(AppError::NotFound(_) | AppError::Forbidden { .. }) => {
                view.error = Some("No user with this id that you administer.".into());
                Ok(respond::html(StatusCode::NOT_FOUND, &view)?)
            }
            Err(e) => Err(e.into()),
        };
    }
    let query = UserQuery {
        search: Some(q.clone()),
        org: (!org.is_empty()).then(|| org.clone()),
        offset: Some((page - 1).saturating_mul(PAGE_SIZE)),
        limit: Some(PAGE_SIZE),
    };
    match users::list(&state, &admin.actor(), query).await {
        Ok(found) => {
            view.users = found.users.iter().map(UserRow::from).collect();
            view.next_href = found
                .next_offset
                .map(|_| page_href(&q, &org, page.saturating_add(1)));
            Ok(respond::ok_page(&view)?)
        }
        Err(AppError::Invalid { message, .. }) => {
            view.error = Some(message.into_owned());
            Ok(respond::html(StatusCode::BAD_REQUEST, &view)?)
        }
        Err(e) => Err(e.into()),
    }
}

struct SessionRow {
    id: Uuid,
    signed_in: String,
    last_seen: String,
    methods: String,
    client: String,
}

struct ConsentRow {
    service: String,
    client_id: String,
    scopes: String,
    granted: String,
}

struct LinkedRow {
    provider: String,
    email: String,
    last_used: String,
}

pub(super) struct EventRow {
    pub id: Uuid,
    pub at: String,
    pub action: String,
    pub outcome: String,
    pub actor: String,
    pub target: String,
    pub details: String,
}

impl From<&audit_log::AuditEventView> for EventRow {
    fn from(e: &audit_log::AuditEventView) -> Self {
        Self {
            id: e.id,
            at: when(e.occurred_at),
            action: e.action.clone(),
            outcome: e.outcome.clone(),
            actor: e.actor.clone().unwrap_or_default(),
            target: e.target.clone().unwrap_or_default(),
            details: e
                .details
                .as_ref()
                .and_then(|d| serde_json::to_string_pretty(d).ok())
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage<'a> {
    nav: Nav,
    csrf: &'a str,
    done: Option<&'static str>,
    error: Option<String>,
    user: UserView,
    created: String,
    last_sign_in: String,
    memberships: Vec<(String, String)>,
    has_password: bool,
    totp_enabled: bool,
    passkeys: Vec<String>,
    linked: Vec<LinkedRow>,
    sessions: Vec<SessionRow>,
    consents: Vec<ConsentRow>,
    events: Vec<EventRow>,
}

const DONE: &[(&str, &str)] = &[
    (
        "disabled",
        "The account is disabled and signed out everywhere.",
    ),
    ("enabled", "The account is enabled again."),
    (
        "mfa_reset",
        "Two-step sign-in is reset: the user sets it up again.",
    ),
    (
        "verification_sent",
        "A new verification mail is on its way.",
    ),
    (
        "password_reset_sent",
        "A password-reset link is on its way to the user.",
    ),
    ("session_revoked", "The session is signed out."),
    (
        "sessions_revoked",
        "Every session of the user is signed out.",
    ),
];

#[derive(Deserialize)]
pub struct DetailParams {
    done: Option<String>,
}

/// `GET /admin/users/{id}`.
pub async fn detail_page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<Uuid>,
    params: web::Query<DetailParams>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let done = done_message(params.done.as_deref(), DONE);
    render_detail(&state, &admin, path.into_inner(), &csrf.0, done, None).await
}

/// The user page, with `error` (an action's refusal) shown above it and answered 400.
pub(super) async fn render_detail(
    state: &AppState,
    admin: &ConsoleAdmin,
    id: Uuid,
    csrf: &str,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let actor = admin.actor();
    let detail = users::get(state, &actor, id).await?;
    let access = users::access(state, &actor, id).await?;
    // An org admin reads the audit log of one of their organizations.
    let org = (!admin.is_owner())
        .then(|| detail.memberships.first().map(|m| m.org.clone()))
        .flatten();
    let events = audit_log::list(
        state,
        &actor,
        AuditQuery {
            target: Some(format!("user:{id}")),
            org,
            limit: Some(20),
            ..AuditQuery::default()
        },
    )
    .await?;
    let page = UserPage {
        nav: admin.nav(Section::Users),
        csrf,
        done,
        created: when(detail.user.created_at),
        last_sign_in: detail
            .user
            .last_login_at
            .map(when)
            .unwrap_or_else(|| "never".into()),
        memberships: detail
            .memberships
            .iter()
            .map(|m| (m.org.clone(), m.roles.join(", ")))
            .collect(),
        user: detail.user,
        has_password: access.has_password,
        totp_enabled: access.totp_enabled,
        passkeys: access.passkeys,
        linked: access
            .linked
            .into_iter()
            .map(|l| LinkedRow {
                provider: l.provider,
                email: l.email.unwrap_or_default(),
                last_used: l.last_used_at.map(when).unwrap_or_else(|| "never".into()),
            })
            .collect(),
        sessions: access
            .sessions
            .into_iter()
            .map(|s| SessionRow {
                id: s.id,
                signed_in: when(s.signed_in_at),
                last_seen: when(s.last_seen_at),
                methods: s.methods.join(", "),
                client: [s.ip.unwrap_or_default(), s.user_agent.unwrap_or_default()]
                    .join(" ")
                    .trim()
                    .to_owned(),
            })
            .collect(),
        consents: access
            .consents
            .into_iter()
            .map(|c| ConsentRow {
                service: c.service,
                client_id: c.client_id,
                scopes: c.scopes.join(" "),
                granted: when(c.granted_at),
            })
            .collect(),
        events: events.events.iter().map(EventRow::from).collect(),
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(respond::html(status, &page)?)
}
