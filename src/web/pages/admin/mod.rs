//! The admin console: server-rendered pages under `/admin` for platform owners and org
//! admins. Pages are thin callers of the admin layer (`crate::admin`) with
//! [`Actor::User`](crate::admin::Actor): rights, audit and cache invalidation live there. This
//! module decides who may open the console at all ([`ConsoleAdmin`], [`StepUpAdmin`]) and
//! holds what every console page shares (the navigation, flash confirmations).
pub mod audit;
mod audit_export;
pub mod chart;
pub mod keys;
pub mod org_settings;
pub mod orgs;
pub mod overview;
pub mod service_tokens;
pub mod services;
mod user_actions;
pub mod users;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::admin::{Actor, AdminUser};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::web::extract::{SignInRequired, SignedIn};

/// How old the sign-in behind a console page may be.
pub const CONSOLE_SIGN_IN_HOURS: i64 = 12;
/// How old the sign-in behind a sensitive action (secrets, keys, owners) may be.
pub const STEP_UP_MINUTES: i64 = crate::auth::sessions::REAUTH_MINUTES;

/// Every console route. Each page module adds its routes with `.configure(module::routes)`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview::page))
        .route("/admin/", web::get().to(overview::page))
        .route(
            "/static/console.css",
            web::get().to(crate::web::assets::console_stylesheet),
        )
        .route(
            "/admin/second-factor",
            web::get().to(second_factor_required),
        )
        .configure(audit::routes)
        .configure(keys::routes)
        .configure(org_settings::routes)
        .configure(orgs::routes)
        .configure(service_tokens::routes)
        .configure(services::routes)
        .configure(users::routes);
}

/// A signed-in admin on a console page: a platform owner, or an admin of at least one
/// organization, whose sign-in is at most [`CONSOLE_SIGN_IN_HOURS`] old and used a second
/// factor when the account has one. Anyone else is sent to sign in (again), or gets 403.
pub struct ConsoleAdmin {
    pub signed_in: SignedIn,
    pub admin: AdminUser,
    /// The organizations this admin administers (every one for a platform owner), by name.
    pub orgs: Vec<Organization>,
}

impl ConsoleAdmin {
    /// The actor every admin operation is called with.
    pub fn actor(&self) -> Actor {
        Actor::User(self.admin.clone())
    }

    pub fn is_owner(&self) -> bool {
        self.admin.is_platform_owner
    }

    pub fn email(&self) -> &str {
        &self.signed_in.user.email
    }

    /// The navigation every console page shows, `current` marked.
    pub fn nav(&self, current: Section) -> Nav {
        Nav {
            current,
            is_owner: self.is_owner(),
            email: self.email().to_owned(),
            orgs: self
                .orgs
                .iter()
                .map(|o| (o.slug.clone(), o.name.clone()))
                .collect(),
        }
    }

    /// The organization `slug`, when this admin administers it; 404 for one that does not exist
    /// and 403 for someone else's (an edited URL).
    pub async fn org(&self, state: &AppState, slug: &str) -> Result<Organization, AppError> {
        if let Some(org) = self.orgs.iter().find(|o| o.slug == slug) {
            return Ok(org.clone());
        }
        match crate::store::organizations::find_by_slug(&state.db, slug).await? {
            Some(_) => Err(forbidden()),
            None => Err(AppError::NotFound("Organization not found")),
        }
    }
}

/// The console's sections, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Section {
    Overview,
    Orgs,
    Services,
    Users,
    ServiceTokens,
    Keys,
    Audit,
}

/// What the console layout (`templates/console/base.html`) needs on every page.
pub struct Nav {
    pub current: Section,
    pub is_owner: bool,
    pub email: String,
    /// (slug, name) of the organizations the admin administers.
    pub orgs: Vec<(String, String)>,
}

impl Nav {
    /// `aria-current="page"` for the current section's link.
    pub fn current_attr(&self, section: Section) -> &'static str {
        if self.current == section {
            "page"
        } else {
            "false"
        }
    }
}

fn forbidden() -> AppError {
    AppError::Forbidden {
        code: ErrorCode::Forbidden,
        message: "You do not administer this. Ask a platform owner for access.".into(),
    }
}

/// Where a console request without a fitting sign-in goes back to: the page itself for a
/// GET; for a form POST (its path is an action, e.g. `/admin/users/{id}/reset-mfa`), the page
/// the action belongs to, one segment up, where the person presses the button again.
fn return_to(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{query}", req.path()),
        };
    }
    action_page(req.path())
}

fn action_page(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some((page, _)) if page.starts_with("/admin/") => page.to_owned(),
        _ => "/admin".to_owned(),
    }
}

fn sign_in_again(next: &str) -> SignInRequired {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    SignInRequired::Redirect(format!("/login?again=1&next={next}"))
}

async fn console_admin(
    req: &HttpRequest,
    max_age: chrono::Duration,
) -> Result<ConsoleAdmin, SignInRequired> {
    let next = return_to(req);
    let signed_in = match SignedIn::from_request(req, &mut Payload::None).await {
        Ok(s) => s,
        Err(SignInRequired::Redirect(_)) => {
            let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            return Err(SignInRequired::Redirect(format!("/login?next={next}")));
        }
        Err(e) => return Err(e),
    };
    if signed_in.session.auth_time < crate::store::now() - max_age {
        return Err(sign_in_again(&next));
    }
    let state = crate::web::extract::app_state(req)?;
    let user = &signed_in.user;
    let memberships = crate::store::memberships::of_user(&state.db, user.id)
        .await
        .map_err(AppError::from)?;
    let mut orgs = crate::store::organizations::list(&state.db)
        .await
        .map_err(AppError::from)?;
    // An org admin administers the active organizations where a membership grants an admin
    // role: a suspended organization's admins are cut off with its users.
    let admin_of: Vec<Uuid> = orgs
        .iter()
        .filter(|o| o.is_active())
        .filter(|o| {
            memberships
                .iter()
                .any(|(id, roles)| *id == o.id && crate::admin::session::is_admin_role(roles))
        })
        .map(|o| o.id)
        .collect();
    if !user.is_platform_owner {
        if admin_of.is_empty() {
            return Err(SignInRequired::Failed(forbidden().into()));
        }
        orgs.retain(|o| admin_of.contains(&o.id));
    }
    if !second_factor_used(&state, &signed_in).await? {
        return Err(SignInRequired::Redirect("/admin/second-factor".to_owned()));
    }
    let admin = AdminUser {
        id: user.id,
        is_platform_owner: user.is_platform_owner,
        admin_of,
    };
    Ok(ConsoleAdmin {
        signed_in,
        admin,
        orgs,
    })
}

/// An account with a second factor (an authenticator app or a passkey) must have used one for
/// the session that opens the console.
async fn second_factor_used(state: &AppState, signed_in: &SignedIn) -> Result<bool, AppError> {
    if signed_in.session.amr_list().iter().any(|m| m == "mfa") {
        return Ok(true);
    }
    let id = signed_in.user.id;
    let has_totp = crate::store::totp_credentials::is_enabled(&state.db, id).await?;
    let has_passkey = crate::store::passkeys::count_for_user(&state.db, id).await? > 0;
    Ok(!has_totp && !has_passkey)
}

impl FromRequest for ConsoleAdmin {
    type Error = SignInRequired;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            console_admin(&req, chrono::Duration::hours(CONSOLE_SIGN_IN_HOURS)).await
        })
    }
}

/// A [`ConsoleAdmin`] whose sign-in is at most [`STEP_UP_MINUTES`] old: for secrets, keys and
/// owner changes. An older sign-in is sent to sign in again and back.
pub struct StepUpAdmin(pub ConsoleAdmin);

impl FromRequest for StepUpAdmin {
    type Error = SignInRequired;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            console_admin(&req, chrono::Duration::minutes(STEP_UP_MINUTES))
                .await
                .map(StepUpAdmin)
        })
    }
}

#[derive(askama::Template)]
#[template(path = "pages/message.html")]
struct SecondFactorPage<'a> {
    title: &'a str,
    message: &'a str,
    link_href: &'a str,
    link_label: &'a str,
}

/// `GET /admin/second-factor`: the account has a second factor the session did not use.
async fn second_factor_required() -> Result<HttpResponse, crate::web::errors::PageError> {
    let page = SecondFactorPage {
        title: "Sign in with your second factor",
        message: "The admin console needs a sign-in with your passkey or authenticator app, \
                  because this account has one.",
        link_href: "/login?again=1&next=%2Fadmin",
        link_label: "Sign in again",
    };
    Ok(crate::web::respond::ok_page(&page)?)
}

/// A one-line confirmation shown on the page an action returns to (`?done=`): the page maps
/// the short code to its text, so no text from the URL is ever rendered.
pub fn done_message(code: Option<&str>, known: &[(&str, &'static str)]) -> Option<&'static str> {
    let code = code?;
    known
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::action_page;

    #[test]
    fn a_refused_action_returns_to_its_page() {
        assert_eq!(action_page("/admin/users/42/reset-mfa"), "/admin/users/42");
        assert_eq!(action_page("/admin/keys/rotate"), "/admin/keys");
        assert_eq!(action_page("/admin/orgs"), "/admin");
        assert_eq!(action_page("/admin"), "/admin");
        assert_eq!(action_page("/elsewhere/x"), "/admin");
    }
}
