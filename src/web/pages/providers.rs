//! Federation pages: `GET /auth/{provider}` and its callback (seed 004), the link
//! confirmation, and the account's linked providers. The browser half of an upstream
//! round trip lives in an actix-session cookie (signed and encrypted, key derived from the
//! master key); its single-use mark is the server-side `federation_states` row.
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::federation::amr_for;
use crate::auth::federation::flow::{self, BrowserHalf, CallbackParams, KIND_LINK, KIND_SIGNIN};
use crate::auth::federation::linking::{self, Decision};
use crate::auth::federation::providers::{self, display_name};
use crate::error::AppError;
use crate::i18n::When;
use crate::oidc::sign_in_context;
use crate::state::AppState;
use crate::store::{federated_identities, organizations, services};
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta};
use crate::web::pages::MessagePage;
use crate::web::respond;

pub(crate) const BROWSER_HALF: &str = "fed";
const PENDING_LINK: &str = "fed_link";
/// A token redirect asked for at the start of a provider sign-in, and the same once that
/// sign-in's identity was accepted: only the second is honoured by `/auth/token-redirect`.
const TOKEN_REDIRECT_ASKED: &str = "fed_tr_asked";
const TOKEN_REDIRECT_READY: &str = "fed_tr_ready";
const TOKEN_REDIRECT_PATH: &str = "/auth/token-redirect";

/// The seed's direct form: after the sign-in, tokens go to `redirect_uri` of a first-party
/// service that opted in (`gatehouse service federation --token-redirect`).
#[derive(serde::Serialize, Deserialize)]
struct TokenRedirect {
    client_id: String,
    redirect_uri: String,
}
pub const COOKIE: &str = "gh_fed";

/// What the federation cookie needs, prepared once at startup (the same key in every worker).
#[derive(Clone)]
pub struct SessionCookie {
    key: Key,
    secure: bool,
}

impl SessionCookie {
    pub fn new(state: &AppState) -> Self {
        Self {
            key: Key::derive_from(&state.master.derive("federation browser binding")),
            secure: state.settings.is_https(),
        }
    }

    pub fn middleware(&self) -> SessionMiddleware<CookieSessionStore> {
        SessionMiddleware::builder(CookieSessionStore::default(), self.key.clone())
            .cookie_name(COOKIE.to_owned())
            .cookie_secure(self.secure)
            .cookie_http_only(true)
            // Lax: the callback is a top-level GET navigation from the provider's site.
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .build()
    }
}

pub(crate) fn session_error(e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("federation session: {e}"))
}

pub use super::provider_links::{ProviderLink, links_for};

#[derive(Deserialize)]
pub struct StartQuery {
    org: Option<String>,
    service: Option<String>,
    redirect_uri: Option<String>,
    user_code: Option<String>,
    next: Option<String>,
}

/// The active organization a query names, if any: 404 for an unknown one, a 403 page
/// (`ORGANIZATION_NOT_ACTIVE`) for a suspended one.
pub(super) async fn named_org(
    state: &AppState,
    slug: Option<&str>,
) -> Result<Option<organizations::Organization>, AppError> {
    let Some(slug) = slug.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let org = organizations::find_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound("Organization not found"))?;
    if !org.is_active() {
        return Err(AppError::Forbidden {
            code: crate::error::ErrorCode::OrganizationNotActive,
            message: "This organization is not active. Please contact its administrator.".into(),
        });
    }
    Ok(Some(org))
}

/// `GET /auth/{provider}?org=&service=&redirect_uri=&user_code=`.
pub async fn start(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<StartQuery>,
    session: Session,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let slug = path.into_inner();
    let org = named_org(&state, query.org.as_deref()).await?;
    let service = match (query.service.as_deref().filter(|s| !s.is_empty()), &org) {
        (Some(slug), Some(org)) => Some(
            services::list(&state.db, Some(org.id))
                .await?
                .into_iter()
                .find(|s| s.slug == slug)
                .ok_or(AppError::NotFound("Service not found"))?,
        ),
        (Some(_), None) => return Err(AppError::NotFound("Service not found").into()),
        (None, _) => None,
    };
    if let Some(uri) = query.redirect_uri.as_deref().filter(|u| !u.is_empty()) {
        let registered = service
            .as_ref()
            .is_some_and(|s| s.redirect_uris_list().iter().any(|r| r == uri));
        if !registered {
            return Err(
                AppError::invalid("The redirect_uri is not registered for this service.").into(),
            );
        }
    }
    let token_redirect = match (query.redirect_uri.as_deref(), &service) {
        (Some(uri), Some(service))
            if !uri.is_empty() && service.first_party && service.token_redirect =>
        {
            Some(TokenRedirect {
                client_id: service.client_id.clone(),
                redirect_uri: uri.to_owned(),
            })
        }
        _ => None,
    };
    let next = match query.user_code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => {
            let code = crate::domain::UserCode::parse(code).ok_or_else(|| {
                AppError::invalid("That code is not valid. Check it and try again.")
            })?;
            format!(
                "/device?user_code={}",
                url::form_urlencoded::byte_serialize(code.as_str().as_bytes()).collect::<String>()
            )
        }
        None if token_redirect.is_some() => TOKEN_REDIRECT_PATH.to_owned(),
        None => respond::safe_next(query.next.as_deref()).to_owned(),
    };
    // A service may offer only some providers: named in the query, or the one whose pending
    // request `next` continues.
    let offering = match service {
        Some(service) => Some(service),
        None => {
            super::provider_links::pending_context(&state, &next, &meta)
                .await
                .service
        }
    };
    if let Some(service) = offering.filter(|s| !s.offers_provider(&slug)) {
        return Err(AppError::invalid(format!(
            "{} does not offer sign-in with {}. Go back and choose another way to sign in.",
            service.name,
            display_name(&slug)
        ))
        .into());
    }
    session.remove(TOKEN_REDIRECT_READY);
    session.remove(TOKEN_REDIRECT_ASKED);
    if let Some(token_redirect) = &token_redirect {
        session
            .insert(TOKEN_REDIRECT_ASKED, token_redirect)
            .map_err(session_error)?;
    }
    let config = providers::resolve(&state, &slug, org.as_ref(), false).await?;
    to_upstream(&state, &config, KIND_SIGNIN, org.as_ref(), &next, &session).await
}

/// Starts the upstream leg: the state row, its browser half in the session cookie, and the
/// redirect to the provider.
pub(super) async fn to_upstream(
    state: &AppState,
    config: &providers::ProviderConfig,
    kind: &str,
    org: Option<&organizations::Organization>,
    next: &str,
    session: &Session,
) -> Result<HttpResponse, PageError> {
    let started = flow::start(state, config, kind, org.map(|o| o.id), None, next).await?;
    session
        .insert(BROWSER_HALF, &started.browser)
        .map_err(session_error)?;
    Ok(HttpResponse::Found()
        .insert_header(("Location", started.redirect_to))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

#[derive(Template)]
#[template(path = "pages/federation_link.html")]
struct LinkPage<'a> {
    csrf: &'a str,
    provider: &'a str,
    upstream_email: &'a str,
    account_email: &'a str,
}

/// `GET /auth/{provider}/callback?code=&state=`.
pub async fn callback(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CallbackParams>,
    session: Session,
    user: MaybeUser,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let slug = path.into_inner();
    // The browser half is single use too: gone whatever the outcome.
    let browser: Option<BrowserHalf> = session.remove_as(BROWSER_HALF).and_then(Result::ok);
    let kind = browser
        .as_ref()
        .map_or(KIND_SIGNIN, |b| b.kind.as_str())
        .to_owned();
    let row = flow::check_state(&state, &slug, &kind, browser.as_ref(), &query).await?;
    let Some(browser) = browser else {
        return Err(AppError::invalid("Please start again.").into());
    };
    let org = match row.org_id {
        Some(id) => organizations::find_by_id(&state.db, id).await?,
        None => None,
    };
    let config = providers::resolve(&state, &slug, org.as_ref(), false).await?;
    let identity = flow::exchange(&state, &config, &browser, &query, &meta).await?;
    if kind == KIND_LINK {
        let Some(signed_in) = user.0.filter(|s| Some(s.user.id) == row.user_id) else {
            return Err(AppError::invalid(
                "Your session ended before the link was made. Please sign in and try again.",
            )
            .into());
        };
        linking::add_to_account(&state, &signed_in.user, &identity, None, "account", &meta).await?;
        return Ok(respond::see_other("/account/providers"));
    }
    let context = sign_in_context::for_next(&state, &browser.next, false, &meta).await;
    let sign_up_open = !context.sign_up_closed();
    match linking::sign_in(&state, &config, &identity, sign_up_open, &meta).await? {
        Decision::SignIn(user) => {
            if let Some(asked) = session
                .remove_as::<TokenRedirect>(TOKEN_REDIRECT_ASKED)
                .and_then(Result::ok)
            {
                session
                    .insert(TOKEN_REDIRECT_READY, asked)
                    .map_err(session_error)?;
            }
            Ok(crate::web::pages::mfa::continue_after_first_factor(
                &state,
                &user,
                amr_for(&config.slug),
                &browser.next,
                &meta,
            )
            .await?)
        }
        Decision::ConfirmLink { token, email } => {
            session
                .insert(PENDING_LINK, &token)
                .map_err(session_error)?;
            let message = crate::i18n::t2(
                "msg-provider-account-exists",
                "email",
                email,
                "provider",
                &config.name,
            );
            Ok(respond::html(
                StatusCode::CONFLICT,
                &MessagePage {
                    title: &crate::i18n::t("msg-you-already-have-an-account"),
                    message: &message,
                    link_href: "/login?next=/auth/link",
                    link_label: &crate::i18n::t("msg-sign-in-to-link"),
                },
            )?)
        }
    }
}

/// `GET /auth/token-redirect`: the last hop of a provider sign-in started with the
/// `redirect_uri` of a first-party service that opted in: its tokens go to that URI's query.
/// Honoured once, in the browser that started the sign-in, after its identity was accepted
/// (and its second factor, when due, passed).
pub async fn token_redirect(
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let start_again = || AppError::invalid("Please start again from the app.");
    let ready: Option<TokenRedirect> = session.remove_as(TOKEN_REDIRECT_READY).and_then(Result::ok);
    let (Some(ready), Some(signed_in)) = (ready, user.0) else {
        return Err(start_again().into());
    };
    // The service's settings may have changed since the sign-in started.
    let client = state
        .clients
        .get(&state.db, &ready.client_id)
        .await?
        .filter(|c| {
            c.is_active()
                && c.service.first_party
                && c.service.token_redirect
                && c.has_redirect_uri(&ready.redirect_uri)
        })
        .ok_or_else(start_again)?;
    let tokens = crate::oidc::first_party::sign_in(
        &state,
        &client,
        &signed_in.user,
        &signed_in.session.amr_list(),
        "federation",
        &meta,
    )
    .await?;
    let mut location = url::Url::parse(&ready.redirect_uri).map_err(|_| start_again())?;
    location
        .query_pairs_mut()
        .append_pair("access_token", &tokens.access_token)
        .append_pair("refresh_token", &tokens.refresh_token)
        .append_pair("token_type", tokens.token_type)
        .append_pair("expires_in", &tokens.expires_in.to_string());
    Ok(HttpResponse::Found()
        .insert_header(("Location", location.as_str()))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish())
}

/// `GET /auth/link`: the signed-in owner sees the pending link and confirms it.
pub async fn link_page(
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other("/login?next=/auth/link"));
    };
    let token: Option<String> = session.get(PENDING_LINK).map_err(session_error)?;
    let pending = match token {
        Some(token) => linking::pending(&state, &token).await?,
        None => None,
    };
    let Some((_, identity)) = pending else {
        return Err(AppError::invalid(
            "There is no link waiting in this browser. Sign in with the provider again to link it.",
        )
        .into());
    };
    Ok(respond::ok_page(&LinkPage {
        csrf: &csrf.0,
        provider: display_name(&identity.provider),
        upstream_email: identity.email.as_deref().unwrap_or(""),
        account_email: &signed_in.user.email,
    })?)
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// `POST /auth/link`: one click links the identity (audited, mailed).
pub async fn link_submit(
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    CsrfForm(_form): CsrfForm<EmptyForm>,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other("/login?next=/auth/link"));
    };
    let token: Option<String> = session.remove_as(PENDING_LINK).and_then(Result::ok);
    let Some(token) = token else {
        return Err(AppError::invalid(
            "There is no link waiting in this browser. Sign in with the provider again to link it.",
        )
        .into());
    };
    linking::confirm_pending(&state, &token, &signed_in.user, &meta).await?;
    Ok(respond::see_other("/account/providers"))
}

struct IdentityRow {
    id: String,
    provider: String,
    email: String,
    last_used: Option<When>,
}

#[derive(Template)]
#[template(path = "pages/account_providers.html")]
struct ProvidersPage<'a> {
    csrf: &'a str,
    identities: Vec<IdentityRow>,
    available: Vec<(String, String)>,
    error: Option<String>,
}

async fn providers_page(
    state: &AppState,
    user: &crate::store::users::User,
    csrf: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let identities = federated_identities::list_for_user(&state.db, user.id)
        .await?
        .into_iter()
        .map(|i| IdentityRow {
            id: i.id.to_string(),
            provider: display_name(&i.provider).to_owned(),
            email: i.email.unwrap_or_default(),
            last_used: i.last_used_at.map(When::new),
        })
        .collect();
    let available = providers::offered(state, None).await?;
    respond::html(
        status,
        &ProvidersPage {
            csrf,
            identities,
            available,
            error: error.as_deref().map(crate::i18n::refusal),
        },
    )
}

/// `GET /account/providers`: linked identities, link another, unlink.
pub async fn account_providers(
    state: web::Data<AppState>,
    user: MaybeUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other("/login?next=/account/providers"));
    };
    Ok(providers_page(&state, &signed_in.user, &csrf.0, StatusCode::OK, None).await?)
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    provider: String,
}

fn reauth_needed() -> HttpResponse {
    respond::see_other("/login?again=1&next=/account/providers")
}

/// `POST /account/providers/link`: starts a round trip that links to this account.
pub async fn link_start(
    state: web::Data<AppState>,
    user: MaybeUser,
    session: Session,
    CsrfForm(form): CsrfForm<LinkForm>,
) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other("/login?next=/account/providers"));
    };
    // Adding a way in needs a recent sign-in, as for passkeys: a borrowed session cannot
    // plant an identity.
    if !crate::auth::sessions::signed_in_recently(signed_in.session.auth_time) {
        return Ok(reauth_needed());
    }
    let config = providers::resolve(&state, &form.provider, None, false).await?;
    let started = flow::start(
        &state,
        &config,
        KIND_LINK,
        None,
        Some(signed_in.user.id),
        "/account/providers",
    )
    .await?;
    session
        .insert(BROWSER_HALF, &started.browser)
        .map_err(session_error)?;
    Ok(respond::see_other(&started.redirect_to))
}

/// `POST /account/providers/{id}/unlink`.
pub async fn unlink_submit(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    user: MaybeUser,
    CsrfForm(_form): CsrfForm<EmptyForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other("/login?next=/account/providers"));
    };
    if !crate::auth::sessions::signed_in_recently(signed_in.session.auth_time) {
        return Ok(reauth_needed());
    }
    match linking::unlink(&state, &signed_in.user, path.into_inner(), &meta).await {
        Ok(()) => Ok(respond::see_other("/account/providers")),
        Err(AppError::Invalid { message, .. }) => Ok(providers_page(
            &state,
            &signed_in.user,
            &csrf.0,
            StatusCode::BAD_REQUEST,
            Some(message.into_owned()),
        )
        .await?),
        Err(e) => Err(e.into()),
    }
}

/// The federation routes; registered after every other `/auth/…` path so fixed paths win.
pub fn routes(cfg: &mut web::ServiceConfig, cookie: &SessionCookie) {
    cfg.service(
        web::resource(TOKEN_REDIRECT_PATH)
            .wrap(cookie.middleware())
            .route(web::get().to(token_redirect)),
    )
    .service(
        web::resource("/auth/link")
            .wrap(cookie.middleware())
            .route(web::get().to(link_page))
            .route(web::post().to(link_submit)),
    )
    .service(
        web::resource(super::admin_sign_in::COMPLETE_PATH)
            .wrap(cookie.middleware())
            .route(web::get().to(super::admin_sign_in::complete)),
    )
    .service(
        web::resource("/auth/admin/{provider}/callback")
            .wrap(cookie.middleware())
            .route(web::get().to(super::admin_sign_in::callback)),
    )
    .service(
        web::resource("/auth/admin/{provider}")
            .wrap(cookie.middleware())
            .route(web::get().to(super::admin_sign_in::start)),
    )
    .service(
        web::resource("/auth/{provider}/callback")
            .wrap(cookie.middleware())
            .route(web::get().to(callback)),
    )
    .service(
        web::resource("/auth/{provider}")
            .wrap(cookie.middleware())
            .route(web::get().to(start)),
    )
    .route("/account/providers", web::get().to(account_providers))
    .service(
        web::resource("/account/providers/link")
            .wrap(cookie.middleware())
            .route(web::post().to(link_start)),
    )
    .route(
        "/account/providers/{id}/unlink",
        web::post().to(unlink_submit),
    );
}
