//! Trusted devices: after every completed sign-in the browser gets (or keeps) a `device_token`
//! cookie, an opaque 256-bit token bound to the user whose SHA-256 is stored. It lowers the
//! risk of the next sign-in, the user sees and revokes devices in the account area, and a
//! password reset revokes them all.
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::mail::templates::{self, SignInContext};
use crate::state::AppState;
use crate::store::trusted_devices::{self, NewDevice, TrustedDevice};
use crate::store::users::User;
use crate::store::{now, sign_in_attempts};

pub const COOKIE: &str = "device_token";
/// 90 days, the seed's `Max-Age=7776000`.
pub const MAX_AGE_DAYS: i64 = 90;
/// How far back the sign-in history counts (known networks, "has signed in before").
pub const HISTORY_DAYS: i64 = 90;

/// The live device of `user` behind the presented token; forged, expired, revoked, tampered
/// and other users' tokens find nothing and are simply ignored.
pub async fn presented<C: ConnectionTrait>(
    db: &C,
    user: &User,
    meta: &RequestMeta,
) -> Result<Option<TrustedDevice>, AppError> {
    let Some(token) = &meta.device_token else {
        return Ok(None);
    };
    Ok(trusted_devices::find_live(db, user.id, &hash_token(&token.0), now()).await?)
}

/// The network key of the risk history: IPv4 as is, IPv6 by its /64.
pub fn network_of(meta: &RequestMeta) -> String {
    meta.ip
        .map(|ip| crate::rate_limit::network(ip).to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The risk history's key of an account: the SHA-256 of the lower-cased address.
pub fn account_key(normalized_email: &str) -> String {
    hash_token(normalized_email)
}

/// Called in the transaction that completes a sign-in (session or tokens): records the
/// success, keeps or creates the device and returns the token to set as the cookie. A device
/// the account has not used before is announced by mail, once, unless this is the account's
/// first sign-in (nothing to compare with; the owner has just set it up).
pub async fn remember<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &User,
    amr: &[String],
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let since = now() - chrono::Duration::days(HISTORY_DAYS);
    let (has_history, _) = sign_in_attempts::history(db, user.id, None, since).await?;
    sign_in_attempts::insert(
        db,
        Some(user.id),
        account_key(&user.email_normalized),
        network_of(meta),
        true,
    )
    .await?;
    if let Some(device) = presented(db, user, meta).await? {
        trusted_devices::touch(db, device.id, meta.ip_string()).await?;
        if let Some(token) = &meta.device_token {
            return Ok(token.0.clone());
        }
    }
    let token = random_token();
    let browser = browser_of(meta.user_agent.as_deref());
    let device = trusted_devices::insert(
        db,
        NewDevice {
            user_id: user.id,
            token_hash: hash_token(&token),
            browser: &browser,
            ip: meta.ip_string(),
            expires_at: now() + chrono::Duration::days(MAX_AGE_DAYS),
        },
    )
    .await?;
    audit::record(
        db,
        AuditEvent::new("device.trusted", Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "device_id": device.id, "browser": browser })),
    )
    .await?;
    if has_history {
        let method = crate::auth::sessions::login_method(amr);
        notify(state, db, user, meta, method, Notice::NewSignIn).await?;
    }
    Ok(token)
}

pub enum Notice {
    NewSignIn,
    Blocked,
}

/// Queues a risk notice to the account's own address, in the caller's transaction.
pub async fn notify<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &User,
    meta: &RequestMeta,
    method: &str,
    notice: Notice,
) -> Result<(), AppError> {
    let locale = crate::i18n::for_recipient(user.locale.as_deref());
    let when = crate::i18n::format_utc(now(), locale);
    let ip = meta.ip_string();
    let browser = browser_of(meta.user_agent.as_deref());
    let context = SignInContext {
        when: &when,
        ip: ip.as_deref(),
        browser: &browser,
        method: method_label(method),
    };
    let reset = state.url("/forgot-password");
    let email = crate::i18n::in_locale(locale, || match notice {
        Notice::NewSignIn => templates::new_sign_in(&context, &reset),
        Notice::Blocked => templates::sign_in_blocked(&context, &reset),
    })
    .map_err(anyhow::Error::new)?;
    state.mailer.enqueue(db, &user.email, email).await?;
    Ok(())
}

/// How a `last_login_method` reads in a mail.
pub fn method_label(method: &str) -> &str {
    match method {
        "password" => "password",
        "passkey" => "passkey",
        "federation" => "another provider",
        "magic_link" => "sign-in link",
        other => other,
    }
}

pub async fn list(state: &AppState, user_id: Uuid) -> Result<Vec<TrustedDevice>, AppError> {
    Ok(trusted_devices::list_live(&state.db, user_id, now()).await?)
}

/// Revokes one of the user's devices; `false` when it is not (or no longer) theirs.
pub async fn revoke(
    state: &AppState,
    user_id: Uuid,
    device_id: Uuid,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    if !trusted_devices::revoke(&txn, user_id, device_id).await? {
        return Ok(false);
    }
    audit::record(
        &txn,
        AuditEvent::new("device.revoked", Outcome::Success, meta)
            .user(user_id)
            .details(serde_json::json!({ "device_id": device_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// "Firefox on Linux": the browser family and platform, enough for a person to recognise the
/// device; the full user agent is not kept.
pub fn browser_of(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return "Unknown browser".to_owned();
    };
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let family = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map_or("Unknown browser", |(_, name)| name);
    let platform = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| *name);
    match platform {
        Some(platform) => format!("{family} on {platform}"),
        None => family.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_by_family_and_platform() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl"),
        ];
        for (ua, expected) in cases {
            assert_eq!(browser_of(Some(ua)), expected, "{ua}");
        }
        assert_eq!(browser_of(None), "Unknown browser");
        assert_eq!(browser_of(Some("  ")), "Unknown browser");
    }
}
