//! Protocol endpoints (thin): logic lives in `crate::oidc`.
use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;
use crate::web::respond;

pub async fn openid_configuration(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond::published(
        &req,
        &state.discovery,
        state.settings.keys.jwks_max_age_secs,
    )
}

pub async fn jwks(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond::published(
        &req,
        &state.keys.jwks(),
        state.settings.keys.jwks_max_age_secs,
    )
}
