//! `/api/admin/users…`
use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::{AdminCaller, ApiError};
use crate::admin::users::{self, UserActionResult, UserDetail, UserPage, UserQuery};
use crate::error::AppError;
use crate::state::AppState;

/// Users, searched and paged (`limit` at most 100); `org` limits to its members (and is
/// what an org admin must give).
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses(
        (status = 200, body = UserPage),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError),
    ),
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: AdminCaller,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(users::list(&state, &caller.actor, query.into_inner()).await?))
}

/// One user with their memberships.
#[utoipa::path(
    tag = "users",
    params(("user_id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, body = UserDetail),
        (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
)]
#[get("/users/{user_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: AdminCaller,
    user_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(users::get(&state, &caller.actor, *user_id).await?))
}

macro_rules! user_action {
    ($name:ident, $path:literal, $doc:literal, |$state:ident, $caller:ident, $id:ident| $call:expr) => {
        #[doc = $doc]
        #[utoipa::path(
                            tag = "users",
                            params(("user_id" = Uuid, Path, description = "The user's id")),
                            responses(
                                (status = 200, body = UserActionResult),
                                (status = 400, body = ApiError), (status = 401, body = ApiError),
                                (status = 403, body = ApiError), (status = 404, body = ApiError),
                            ),
                        )]
        #[post($path)]
        pub async fn $name(
            $state: web::Data<AppState>,
            $caller: AdminCaller,
            user_id: web::Path<Uuid>,
        ) -> Result<HttpResponse, AppError> {
            let $id = *user_id;
            Ok(HttpResponse::Ok().json($call.await?))
        }
    };
}

user_action!(
    disable,
    "/users/{user_id}/disable",
    "Disable an account (platform): it cannot sign in, its sessions and tokens end.",
    |state, caller, id| users::set_enabled(&state, &caller.actor, &caller.meta, id, false)
);
user_action!(
    enable,
    "/users/{user_id}/enable",
    "Enable a disabled account again (platform).",
    |state, caller, id| users::set_enabled(&state, &caller.actor, &caller.meta, id, true)
);
user_action!(
    reset_mfa,
    "/users/{user_id}/reset-mfa",
    "Remove the user's authenticator and backup codes.",
    |state, caller, id| users::reset_mfa(&state, &caller.actor, &caller.meta, id)
);
user_action!(
    revoke_sessions,
    "/users/{user_id}/revoke-sessions",
    "End every browser session and refresh token of the user.",
    |state, caller, id| users::revoke_sessions(&state, &caller.actor, &caller.meta, id)
);
user_action!(
    resend_verification,
    "/users/{user_id}/resend-verification",
    "Send a new verification link to an unverified address.",
    |state, caller, id| users::resend_verification(&state, &caller.actor, &caller.meta, id)
);
