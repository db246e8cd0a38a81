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

/// Left in the request by `AdminCaller` for `audit_refusals`: who asked, from where.
#[derive(Clone)]
struct Caller {
    actor: String,
    meta: RequestMeta,
}

/// Scope middleware: an authenticated admin request that is refused (403) or fails on its
/// input (400, 404, 409) is written to the audit log as `admin.request.refused`, with the
/// caller, the method and path, and the status. Failed authentication is audited by
/// `admin::authenticate`; rate-limited requests write no row (see `rate_limit`).
pub async fn audit_refusals(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<actix_web::body::BoxBody>,
) -> Result<actix_web::dev::ServiceResponse, actix_web::Error> {
    use actix_web::HttpMessage;
    use actix_web::http::StatusCode;

    let state = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .cloned();
    let what = format!("{} {}", req.method(), req.path());
    let response = next.call(req).await?;
    let status = response.status();
    let refused = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::FORBIDDEN
            | StatusCode::NOT_FOUND
            | StatusCode::CONFLICT
    );
    let caller = response.request().extensions().get::<Caller>().cloned();
    if let (true, Some(caller), Some(state)) = (refused, caller, state) {
        let mut event = crate::audit::AuditEvent::new(
            "admin.request.refused",
            crate::audit::Outcome::Failure,
            &caller.meta,
        )
        .details(serde_json::json!({ "status": status.as_u16() }));
        event.actor = Some(caller.actor);
        event.target = Some(what);
        crate::audit::record(&state.db, event)
            .await
            .map_err(AppError::from)?;
    }
    Ok(response)
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
            state.limits.check_admin_caller(&actor.audit_ref()).await?;
            {
                use actix_web::HttpMessage;
                req.extensions_mut().insert(Caller {
                    actor: actor.audit_ref(),
                    meta: meta.clone(),
                });
            }
            Ok(AdminCaller { actor, meta })
        })
    }
}
