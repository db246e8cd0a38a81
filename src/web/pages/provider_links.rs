//! The "Continue with …" links of the sign-in, register and device sign-in pages: which
//! providers, with whose credentials, and where the person continues afterwards.
use crate::auth::federation::providers;
use crate::state::AppState;

/// A "Continue with …" link of the sign-in pages.
pub struct ProviderLink {
    pub href: String,
    pub label: String,
}

/// The sign-in a "Continue with …" link continues: the pending request behind `next` (an
/// authorization or a device approval), its organization and service.
#[derive(Default)]
pub struct PendingContext {
    pub org: Option<crate::store::organizations::Organization>,
    pub service: Option<crate::store::services::Service>,
    pub user_code: Option<String>,
}

pub async fn pending_context(
    state: &AppState,
    next: &str,
    meta: &crate::domain::RequestMeta,
) -> PendingContext {
    if let Some(handle) = next
        .strip_prefix("/authorize/continue?request=")
        .filter(|h| !h.contains('&'))
        && let Ok(Some(pending)) = crate::oidc::authorize::load_pending(state, handle).await
    {
        return PendingContext {
            org: Some(pending.client.org.clone()),
            service: Some(pending.client.service.clone()),
            user_code: None,
        };
    }
    if let Some(raw) = next
        .strip_prefix("/device?user_code=")
        .filter(|c| !c.contains('&'))
    {
        let raw: String = url::form_urlencoded::parse(format!("c={raw}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .next()
            .unwrap_or_default();
        // The same lookup (and per-network limit) as typing the code, so the page is no
        // cheaper oracle for guessing codes than the device page itself.
        if let Ok(pending) = crate::oidc::device::find_pending(state, &raw, meta).await {
            return PendingContext {
                org: Some(pending.client.org.clone()),
                service: Some(pending.client.service.clone()),
                user_code: Some(pending.user_code.display()),
            };
        }
    }
    PendingContext::default()
}

/// The providers offered for the pending request behind `next` (its service's organization,
/// less what the service does not offer), or the platform's when there is none. A device
/// sign-in step (`next` is the device approval page) passes its `user_code` on, so the person
/// comes back to approve that device.
pub async fn links_for(
    state: &AppState,
    next: &str,
    meta: &crate::domain::RequestMeta,
) -> Vec<ProviderLink> {
    let PendingContext {
        org,
        service,
        user_code,
    } = pending_context(state, next, meta).await;
    let Ok(offered) = providers::offered(state, org.as_ref()).await else {
        return Vec::new();
    };
    offered
        .into_iter()
        .filter(|(slug, _)| service.as_ref().is_none_or(|s| s.offers_provider(slug)))
        .map(|(slug, label)| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            if let (Some(org), Some(service)) = (&org, &service) {
                query.append_pair("org", &org.slug);
                query.append_pair("service", &service.slug);
            }
            match &user_code {
                Some(code) => query.append_pair("user_code", code),
                None => query.append_pair("next", next),
            };
            ProviderLink {
                href: format!("/auth/{slug}?{}", query.finish()),
                label,
            }
        })
        .collect()
}
