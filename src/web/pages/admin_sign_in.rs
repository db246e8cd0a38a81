//! `GET /auth/admin/{provider}?org_slug=&user_code=` and its callback (seed 004): the
//! platform's credentials only, and only a platform owner or an admin of `org_slug` signs in
//! (see `auth::federation::admin`). The session then goes through the usual second factor.
use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::providers::BROWSER_HALF;
use crate::auth::federation::amr_for;
use crate::auth::federation::flow::{self, BrowserHalf, CallbackParams, KIND_ADMIN};
use crate::auth::federation::{admin, providers};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations;
use crate::web::errors::PageError;
use crate::web::extract::Meta;

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
    Ok(crate::web::pages::mfa::continue_after_first_factor(
        &state,
        &user,
        amr_for(&config.slug),
        &browser.next,
        &meta,
    )
    .await?)
}
