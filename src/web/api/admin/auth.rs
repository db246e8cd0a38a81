//! `AdminCaller`: who calls the admin API. `Authorization: Bearer <token>` or
//! `X-API-Key: <token>`; the core (`admin::authenticate`) decides what the token is. Each
//! authenticated caller then spends its own rate-limit budget.
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::admin::Actor;
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::web::extract::{Meta, app_state};

pub struct AdminCaller {
    pub actor: Actor,
    pub meta: RequestMeta,
}

/// The presented credential: the bearer token, else the `X-API-Key` header.
fn credential(req: &HttpRequest) -> Option<String> {
    crate::web::oidc::bearer(req).or_else(|| {
        req.headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

impl FromRequest for AdminCaller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let meta = Meta::from_request(&req, payload);
        Box::pin(async move {
            let Meta(meta) = meta
                .await
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?;
            let state = app_state(&req)?;
            let raw = credential(&req).ok_or_else(|| AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: "Missing credentials: send Authorization: Bearer <token> or X-API-Key"
                    .into(),
            })?;
            let actor = crate::admin::authenticate(&state, &raw, &meta).await?;
            state.limits.check_admin_caller(&actor.audit_ref())?;
            Ok(AdminCaller { actor, meta })
        })
    }
}
