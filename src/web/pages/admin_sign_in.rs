//! `GET /auth/admin/{provider}?org_slug=&user_code=` and its callback (seed 004): the
//! platform's credentials only, and only a platform owner or an admin of `org_slug` signs in
//! (see `auth::federation::admin`). The session then goes through the usual second factor.
//! With `admin.token_redirect_uri` set, the sign-in ends there with the admin JWT (seed 004
//! "redirects to platform admin redirect URI with tokens") in the URL fragment: a fragment is
//! never sent to a server, so the token stays out of access logs and `Referer`.
use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::providers::BROWSER_HALF;
use crate::auth::federation::amr_for;
use crate::auth::federation::flow::{self, BrowserHalf, CallbackParams, KIND_ADMIN};
use crate::auth::federation::{admin, providers};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations;
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta};

/// Where an admin sign-in goes after its second factor to receive the admin JWT.
pub const COMPLETE_PATH: &str = "/login/admin/complete";
/// The session key of the pending admin JWT: who signed in as admin, for which org.
const ADMIN_GRANT: &str = "admin_grant";
/// The grant must be collected within this time of the callback (the second factor included).
const GRANT_MINUTES: i64 = 10;

/// Set at the callback, used up at [`COMPLETE_PATH`], in the signed and encrypted federation
/// cookie: only the browser that did the admin sign-in can collect the JWT, and only for the
/// account that did it.
#[derive(Serialize, Deserialize)]
struct AdminGrant {
    user_id: Uuid,
    org: Option<String>,
    expires_at: i64,
}

#[derive(Deserialize)]
pub struct AdminQuery {
    org_slug: Option<String>,
    user_code: Option<String>,
}

/// `GET /auth/admin/{provider}`.
pub async fn start(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AdminQuery>,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let slug = path.into_inner();
    let org = super::providers::named_org(&state, query.org_slug.as_deref()).await?;
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
        // The admin JWT goes to the admin redirect URI when one is configured.
        None if state.settings.admin.token_redirect_uri.is_some() => COMPLETE_PATH.to_owned(),
        None => "/account".to_owned(),
    };
    // Platform credentials only: an organization's own OAuth app must not be able to vouch
    // for the platform's administrators.
    let config = providers::resolve(&state, &slug, None, true).await?;
    super::providers::to_upstream(&state, &config, KIND_ADMIN, org.as_ref(), &next, &session).await
}

/// `GET /auth/admin/{provider}/callback?code=&state=`.
pub async fn callback(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CallbackParams>,
    session: Session,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let slug = path.into_inner();
    let browser: Option<BrowserHalf> = session.remove_as(BROWSER_HALF).and_then(Result::ok);
    // Only a state started as an admin sign-in is accepted here.
    let row = flow::check_state(&state, &slug, KIND_ADMIN, browser.as_ref(), &query).await?;
    let Some(browser) = browser else {
        return Err(AppError::invalid("Please start again.").into());
    };
    let org = match row.org_id {
        Some(id) => organizations::find_by_id(&state.db, id).await?,
        None => None,
    };
    let config = providers::resolve(&state, &slug, None, true).await?;
    let identity = flow::exchange(&state, &config, &browser, &query, &meta).await?;
    let user = admin::sign_in(&state, &identity, org.as_ref(), &meta).await?;
    if browser.next == COMPLETE_PATH {
        let grant = AdminGrant {
            user_id: user.id,
            org: org.map(|o| o.slug),
            expires_at: chrono::Utc::now().timestamp() + GRANT_MINUTES * 60,
        };
        session
            .insert(ADMIN_GRANT, &grant)
            .map_err(super::providers::session_error)?;
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

/// `GET /login/admin/complete`: after the admin sign-in and its second factor, the admin JWT
/// (platform owner or org management, seed 004 "JWT Types") goes to `admin.token_redirect_uri`
/// in the fragment: `#access_token=…&token_type=Bearer&expires_in=…`.
pub async fn complete(
    state: web::Data<AppState>,
    user: MaybeUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let grant: Option<AdminGrant> = session.remove_as(ADMIN_GRANT).and_then(Result::ok);
    let again = || AppError::invalid("Your administrator sign-in expired. Please start again.");
    let (Some(grant), Some(signed_in)) = (grant, user.0) else {
        return Err(again().into());
    };
    if grant.user_id != signed_in.user.id || grant.expires_at < chrono::Utc::now().timestamp() {
        return Err(again().into());
    }
    let Some(uri) = state.settings.admin.token_redirect_uri.as_deref() else {
        return Ok(crate::web::respond::see_other("/account"));
    };
    let issued = crate::admin::session::issue(&state, grant.user_id, grant.org.as_deref()).await?;
    let fragment = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("access_token", &issued.token)
        .append_pair("token_type", "Bearer")
        .append_pair("expires_in", &issued.expires_in.to_string())
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("{uri}#{fragment}")))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish())
}
