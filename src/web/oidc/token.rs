//! Client-authenticated form endpoints: token, revocation, introspection; and userinfo.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{bearer, parse_params, unique};
use crate::oidc::error::OAuthError;
use crate::oidc::grants::{self, TokenRequest};
use crate::oidc::resource;
use crate::state::AppState;
use crate::web::extract::{ClientAuthForm, Meta};

pub(super) fn no_store_json(body: &impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// `POST /token`
pub async fn token(
    form: ClientAuthForm,
    state: web::Data<AppState>,
    Meta(meta): Meta,
) -> Result<HttpResponse, OAuthError> {
    let ClientAuthForm {
        credentials,
        mut params,
    } = form;
    let mut take = |name: &str| params.remove(name);
    let request = TokenRequest {
        grant_type: take("grant_type"),
        code: take("code"),
        redirect_uri: take("redirect_uri"),
        code_verifier: take("code_verifier"),
        refresh_token: take("refresh_token"),
        scope: take("scope"),
        device_code: take("device_code"),
        subject_token: take("subject_token"),
        subject_token_type: take("subject_token_type"),
        requested_token_type: take("requested_token_type"),
        actor_token: take("actor_token"),
    };
    let response = grants::token(&state, credentials, request, &meta).await?;
    Ok(no_store_json(&response))
}

/// `POST /revoke` (RFC 7009): 200 whether or not the token was known.
pub async fn revoke(
    mut form: ClientAuthForm,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let token = form.require("token")?;
    resource::revoke(&state, &form.credentials, &token).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// `POST /introspect` (RFC 7662)
pub async fn introspect(
    mut form: ClientAuthForm,
    state: web::Data<AppState>,
    Meta(meta): Meta,
) -> Result<HttpResponse, OAuthError> {
    let token = form.require("token")?;
    Ok(no_store_json(
        &resource::introspect(&state, &form.credentials, &token, &meta).await?,
    ))
}

/// `GET|POST /userinfo`: the token in the Authorization header, or in a POST form body.
pub async fn userinfo(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let header_token = bearer(&req);
    let body_token = if req.method() == actix_web::http::Method::POST && !body.is_empty() {
        unique(parse_params(&body)?)?.remove("access_token")
    } else {
        None
    };
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "send the access token one way only",
            ));
        }
        (Some(token), None) | (None, Some(token)) => token,
        (None, None) => return Err(OAuthError::invalid_token("an access token is required")),
    };
    Ok(no_store_json(&resource::userinfo(&state, &token).await?))
}
