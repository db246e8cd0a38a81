//! A real relying party built on the `openidconnect` crate: discovery, PKCE, code exchange,
//! ID token validation against the JWKS, refresh, userinfo.
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreTokenResponse,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse,
};

pub type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct RelyingParty {
    pub client: DiscoveredClient,
    pub http: openidconnect::reqwest::Client,
}

pub struct AuthRequest {
    pub url: String,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
}

impl RelyingParty {
    pub async fn discover(
        issuer: &str,
        client_id: &str,
        secret: Option<&str>,
        redirect_uri: &str,
    ) -> Self {
        let http = rp_http_client();
        let metadata =
            CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.to_owned()).unwrap(), &http)
                .await
                .expect("discovery");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client_id.to_owned()),
            secret.map(|s| ClientSecret::new(s.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).unwrap());
        Self { client, http }
    }

    pub fn authorize(&self, scopes: &[&str]) -> AuthRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        AuthRequest {
            url: url.to_string(),
            state,
            nonce,
            verifier,
        }
    }

    pub async fn exchange(&self, code: &str, verifier: PkceCodeVerifier) -> CoreTokenResponse {
        self.client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .expect("code exchange")
    }

    /// Verifies signature (JWKS from discovery), issuer, audience, expiry, nonce and at_hash.
    pub fn verify_id_token(&self, tokens: &CoreTokenResponse, nonce: &Nonce) -> CoreIdTokenClaims {
        let id_token = tokens.id_token().expect("id_token in response");
        let verifier = self.client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, nonce)
            .expect("valid ID token")
            .clone();
        let expected = openidconnect::AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(
            claims.access_token_hash(),
            Some(&expected),
            "at_hash matches"
        );
        claims
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<CoreTokenResponse, String> {
        self.client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
            .unwrap()
            .request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }

    pub async fn userinfo(&self, access_token: &str) -> Result<CoreUserInfoClaims, String> {
        self.client
            .user_info(AccessToken::new(access_token.to_owned()), None)
            .unwrap()
            .request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }
}

/// Pulls `code`, `state` and `iss` out of the redirect the browser was sent to.
pub fn callback_params(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).expect("absolute redirect");
    url.query_pairs().into_owned().collect()
}

pub fn refresh_of(tokens: &CoreTokenResponse) -> String {
    tokens
        .refresh_token()
        .expect("refresh token")
        .secret()
        .clone()
}

pub fn access_of(tokens: &CoreTokenResponse) -> String {
    tokens.access_token().secret().clone()
}

/// The HTTP client a relying app uses for back-channel calls: no redirects,
/// and (see `new_client`) idle connections dropped before the server's keep-alive.
pub fn rp_http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .expect("client")
}
