//! Federation: signing in with an upstream provider (GitHub, Google, Microsoft, any OIDC
//! provider), with per-organization credentials (BYOO) and safe account linking.
//!
//! `providers` resolves which credentials apply (an organization's own beat the platform's),
//! `flow` runs the single-use state and the code exchange, `github` and `oidc` speak to the
//! upstream, and `linking` decides which local account an upstream identity signs in.
pub mod admin;
pub mod flow;
pub mod github;
pub mod http;
pub mod linking;
pub mod oidc;
pub mod providers;

pub use flow::{BrowserHalf, CallbackParams};
pub use providers::{ProviderConfig, ProviderKind};

/// What an upstream provider says about the person who signed in.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct UpstreamIdentity {
    pub provider: String,
    /// The issuer (GitHub: its base URL; Microsoft: the tenant's issuer).
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// Only `true` when the provider vouches for the address (GitHub: primary and verified;
    /// OIDC: `email_verified`; Microsoft: `xms_edov`).
    pub email_verified: bool,
    pub name: Option<String>,
}

/// The `amr` of a federated sign-in (RFC 8176 `fed`) plus the provider, which the token
/// minting turns into the `idp` claim.
pub fn amr_for(provider: &str) -> Vec<String> {
    vec!["fed".to_owned(), format!("{IDP_PREFIX}{provider}")]
}

/// Marks the provider's entry in a session's `amr` list; never put in a token's `amr`.
pub const IDP_PREFIX: &str = "idp:";

/// Splits a session's methods into the token's `amr` and `idp`.
pub fn split_amr(amr: &[String]) -> (Vec<String>, Option<String>) {
    let idp = amr
        .iter()
        .find_map(|m| m.strip_prefix(IDP_PREFIX))
        .map(str::to_owned);
    let methods = amr
        .iter()
        .filter(|m| !m.starts_with(IDP_PREFIX))
        .cloned()
        .collect();
    (methods, idp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_leaves_amr_for_idp() {
        let (amr, idp) = split_amr(&["fed".to_owned(), "idp:github".to_owned(), "otp".to_owned()]);
        assert_eq!(amr, ["fed", "otp"]);
        assert_eq!(idp.as_deref(), Some("github"));
    }
}
