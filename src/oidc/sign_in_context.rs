//! What a person is signing in to, for the hosted pages: the relying service and its
//! organization (found from the page's `next`), and why a fresh sign-in is asked for.
use uuid::Uuid;

use crate::branding::Brand;
use crate::domain::RequestMeta;
use crate::state::AppState;
use crate::store::organizations::SignUpPolicy;

/// The service a sign-in continues to.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    /// The service's display name ("Acme Web").
    pub service: String,
    /// The organization's display name ("Acme Corp").
    pub org: String,
    pub org_id: Uuid,
    /// The organization's sign-up policy is `invite_only`: no new accounts from its pages.
    pub invite_only: bool,
}

/// Why someone who is already signed in must sign in again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    /// `prompt=login`: the service wants a fresh sign-in.
    Requested,
    /// `max_age`: the last sign-in is older than the service accepts.
    TooOld,
    /// `id_token_hint` names another account than the signed-in one.
    OtherAccount,
    /// Device approval needs the second factor this session lacks.
    SecondFactor,
    /// A change to how the account signs in (security page).
    AccountChange,
}

#[derive(Debug, Clone, Default)]
pub struct SignInContext {
    pub service: Option<ServiceContext>,
    /// Set only when the page was asked for a fresh sign-in (`again`).
    pub reauth: Option<Reauth>,
    /// The organization's branding over the platform's, or the platform's alone.
    pub brand: Brand,
}

const AUTHORIZE: &str = "/authorize/continue?request=";
const DEVICE: &str = "/device?user_code=";

/// The context of a sign-in page whose success goes to `next` (already a safe local path).
/// Lookups that fail (expired request, unknown code, rate limit) give no service: the page
/// still works, only without the name.
pub async fn for_next(
    state: &AppState,
    next: &str,
    again: bool,
    meta: &RequestMeta,
) -> SignInContext {
    if let Some(handle) = next.strip_prefix(AUTHORIZE) {
        if let Ok(Some(pending)) = super::authorize::load_pending(state, handle).await {
            let request = &pending.request;
            let reauth = again.then(|| {
                if request.expected_sub.is_some() {
                    Reauth::OtherAccount
                } else if request.max_age.is_some() && !request.prompt.login {
                    Reauth::TooOld
                } else {
                    Reauth::Requested
                }
            });
            return with_service(state, of_client(&pending.client), reauth).await;
        }
    } else if let Some(code) = next.strip_prefix(DEVICE) {
        // Counts against the code-entry limit like any other lookup of a user code.
        if let Ok(pending) = super::device::find_pending(state, code, meta).await {
            let reauth = again.then_some(Reauth::SecondFactor);
            return with_service(state, of_client(&pending.client), reauth).await;
        }
    }
    SignInContext {
        service: None,
        reauth: again.then_some(if next.starts_with("/account") {
            Reauth::AccountChange
        } else {
            Reauth::Requested
        }),
        brand: Brand::platform(state),
    }
}

async fn with_service(
    state: &AppState,
    service: ServiceContext,
    reauth: Option<Reauth>,
) -> SignInContext {
    SignInContext {
        brand: Brand::of_org(state, service.org_id, &service.org).await,
        service: Some(service),
        reauth,
    }
}

/// The context of a page that already knows its service (consent, device approval).
pub async fn for_client(state: &AppState, client: &super::clients::Client) -> SignInContext {
    with_service(state, of_client(client), None).await
}

fn of_client(client: &super::clients::Client) -> ServiceContext {
    ServiceContext {
        service: client.service.name.clone(),
        org: client.org.name.clone(),
        org_id: client.org.id,
        invite_only: client.org.sign_up_policy == SignUpPolicy::InviteOnly,
    }
}

impl SignInContext {
    /// "Acme Web (Acme Corp)" (the organization's display name), or the platform's name: what
    /// a sign-in mail names.
    pub fn mail_label(&self, platform: &str) -> String {
        match &self.service {
            Some(s) => format!("{} ({})", s.service, self.brand.name),
            None => platform.to_owned(),
        }
    }

    /// A fresh sign-in of someone signed in offers no sign-up, nor does the page of an
    /// invite-only organization's service.
    pub fn offers_sign_up(&self) -> bool {
        self.reauth.is_none() && !self.sign_up_closed()
    }

    /// The service's organization takes new accounts by invitation only.
    pub fn sign_up_closed(&self) -> bool {
        self.service.as_ref().is_some_and(|s| s.invite_only)
    }
}

impl SignInContext {
    /// Why the page asks a signed-in person to sign in again, in plain words.
    pub fn reauth_message(&self) -> Option<String> {
        use crate::i18n::{t, t1};
        let service = self.service.as_ref().map(|s| s.service.as_str());
        let message = match (self.reauth?, service) {
            (Reauth::Requested, Some(service)) => t1("reauth-requested-by", "service", service),
            (Reauth::Requested, None) => t("reauth-requested"),
            (Reauth::TooOld, Some(service)) => t1("reauth-too-old-for", "service", service),
            (Reauth::TooOld, None) => t("reauth-too-old"),
            (Reauth::OtherAccount, Some(service)) => {
                t1("reauth-other-account-for", "service", service)
            }
            (Reauth::OtherAccount, None) => t("reauth-other-account"),
            (Reauth::SecondFactor, _) => t("reauth-second-factor"),
            (Reauth::AccountChange, _) => t("reauth-account-change"),
        };
        Some(message)
    }
}
