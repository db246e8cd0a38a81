//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): the validated request
//! (`request`), the decision between login, consent and issuing a code and the pending request
//! kept meanwhile (`flow`), and the answer to the client (`response`).
mod flow;
mod request;
mod response;

pub use flow::{Pending, Step, load_pending, next_step, store_pending};
pub use request::{hinted_subject, parse};
pub use response::{AuthorizationResponse, fail_pending, issue_code};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::scope::ScopeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    FormPost,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub response_mode: ResponseMode,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// `sub` of a valid `id_token_hint`: the user the client expects.
    pub expected_sub: Option<String>,
}

/// Enough of a request to send an error back to the client.
#[derive(Debug, Clone)]
pub struct ErrorTarget {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub mode: ResponseMode,
}

impl From<&AuthorizeRequest> for ErrorTarget {
    fn from(r: &AuthorizeRequest) -> Self {
        Self {
            redirect_uri: r.redirect_uri.clone(),
            state: r.state.clone(),
            mode: r.response_mode,
        }
    }
}

#[derive(Debug)]
pub enum Rejection {
    /// RFC 6749 §4.1.2.1: client_id or redirect_uri is unusable, so the user is told and never
    /// redirected.
    Page(Cow<'static, str>),
    /// The client's organization is suspended: the person gets a page saying so (403), since
    /// the application cannot do anything about it either.
    Suspended,
    Redirect(ErrorTarget, OAuthError),
}

/// Raw parameters in order (query string or form body).
pub type RawParams = Vec<(String, String)>;
