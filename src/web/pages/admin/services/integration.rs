//! The integration panel's snippets: the service's real issuer, client id and redirect URI
//! filled in, the client secret never (an environment variable stands in for it). Each
//! snippet follows its library's current API: openid-client v6, Authlib 1.x (Flask
//! integration), the `openidconnect` crate 4.x, mod_auth_openidc 2.4.
use crate::admin::services::ServiceView;
use crate::oidc::grants::GrantType;

pub struct Snippet {
    pub id: &'static str,
    pub title: &'static str,
    pub docs: &'static str,
    pub code: String,
}

/// The values every snippet needs.
struct Values<'a> {
    issuer: &'a str,
    client_id: &'a str,
    redirect_uri: String,
    scope: String,
    confidential: bool,
}

pub fn snippets(issuer: &str, service: &ServiceView) -> Vec<Snippet> {
    let has = |g: GrantType| service.grant_types.iter().any(|x| x == g.as_str());
    let bench = crate::oidc::grants::test_bench::redirect_uri(issuer);
    let values = Values {
        issuer,
        client_id: &service.client_id,
        redirect_uri: service
            .redirect_uris
            .iter()
            .find(|r| **r != bench)
            .cloned()
            .unwrap_or_else(|| "https://app.example.com/callback".to_owned()),
        scope: crate::oidc::scope::USER_SCOPES
            .into_iter()
            .filter(|s| *s != "offline_access" && service.allowed_scopes.iter().any(|a| a == s))
            .collect::<Vec<_>>()
            .join(" "),
        confidential: service.kind == "confidential",
    };
    if has(GrantType::AuthorizationCode) {
        let mut list = vec![
            node_code(&values),
            authlib_code(&values),
            rust_code(&values),
        ];
        if values.confidential {
            list.push(apache(&values));
        }
        list
    } else if has(GrantType::ClientCredentials) {
        let api_scopes: Vec<&str> = service
            .allowed_scopes
            .iter()
            .map(String::as_str)
            .filter(|s| !crate::oidc::scope::USER_SCOPES.contains(s))
            .collect();
        let values = Values {
            scope: api_scopes.join(" "),
            ..values
        };
        vec![
            node_machine(&values),
            authlib_machine(&values),
            rust_machine(&values),
        ]
    } else if has(GrantType::DeviceCode) {
        vec![node_device(&values)]
    } else {
        Vec::new()
    }
}

const NODE_DOCS: &str = "https://github.com/panva/openid-client";
const AUTHLIB_DOCS: &str = "https://docs.authlib.org/en/latest/client/flask.html";
const RUST_DOCS: &str = "https://docs.rs/openidconnect";
const APACHE_DOCS: &str = "https://github.com/OpenIDC/mod_auth_openidc";

fn node_auth(v: &Values) -> &'static str {
    if v.confidential {
        "process.env.GATEHOUSE_CLIENT_SECRET, // <your client secret>"
    } else {
        "undefined,\n  client.None(), // a public client: no secret, PKCE only"
    }
}

fn node_code(v: &Values) -> Snippet {
    Snippet {
        id: "node",
        title: "Node.js: openid-client",
        docs: NODE_DOCS,
        code: format!(
            r#"import * as client from 'openid-client'

const config = await client.discovery(
  new URL('{issuer}'),
  '{client_id}',
  {auth}
)

// Sign-in: keep code_verifier, state and nonce in the user's session.
const code_verifier = client.randomPKCECodeVerifier()
const code_challenge = await client.calculatePKCECodeChallenge(code_verifier)
const state = client.randomState()
const nonce = client.randomNonce()
const redirectTo = client.buildAuthorizationUrl(config, {{
  redirect_uri: '{redirect}',
  scope: '{scope}',
  code_challenge,
  code_challenge_method: 'S256',
  state,
  nonce,
}})

// Callback ({redirect}):
const tokens = await client.authorizationCodeGrant(config, currentUrl, {{
  pkceCodeVerifier: code_verifier,
  expectedState: state,
  expectedNonce: nonce,
}})
const claims = tokens.claims() // the verified ID token: claims.sub, claims.email
"#,
            issuer = v.issuer,
            client_id = v.client_id,
            auth = node_auth(v),
            redirect = v.redirect_uri,
            scope = v.scope,
        ),
    }
}

fn authlib_code(v: &Values) -> Snippet {
    let secret = if v.confidential {
        "    client_secret=os.environ[\"GATEHOUSE_CLIENT_SECRET\"],  # <your client secret>\n"
    } else {
        ""
    };
    let auth = if v.confidential {
        ""
    } else {
        "        \"token_endpoint_auth_method\": \"none\",\n"
    };
    Snippet {
        id: "authlib",
        title: "Python: Authlib (Flask)",
        docs: AUTHLIB_DOCS,
        code: format!(
            r#"import os
from flask import Flask, redirect, session, url_for
from authlib.integrations.flask_client import OAuth

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]
oauth = OAuth(app)
oauth.register(
    name="gatehouse",
    client_id="{client_id}",
{secret}    server_metadata_url="{issuer}/.well-known/openid-configuration",
    client_kwargs={{
        "scope": "{scope}",
        "code_challenge_method": "S256",
{auth}    }},
)

@app.route("/login")
def login():
    # Must be exactly a registered redirect URI: {redirect}
    return oauth.gatehouse.authorize_redirect("{redirect}")

@app.route("/callback")  # the path of {redirect}
def callback():
    token = oauth.gatehouse.authorize_access_token()  # checks state, nonce and the ID token
    session["user"] = token["userinfo"]  # sub, email, ...
    return redirect("/")
"#,
            client_id = v.client_id,
            issuer = v.issuer,
            scope = v.scope,
            redirect = v.redirect_uri,
        ),
    }
}

fn rust_secret(v: &Values) -> &'static str {
    if v.confidential {
        "Some(ClientSecret::new(std::env::var(\"GATEHOUSE_CLIENT_SECRET\")?)), // <your client secret>"
    } else {
        "None, // a public client: PKCE only"
    }
}

fn rust_code(v: &Values) -> Snippet {
    let scopes: String = v
        .scope
        .split(' ')
        .filter(|s| *s != "openid")
        .map(|s| format!("    .add_scope(Scope::new(\"{s}\".to_string()))\n"))
        .collect();
    Snippet {
        id: "rust",
        title: "Rust: openidconnect",
        docs: RUST_DOCS,
        code: format!(
            r#"use openidconnect::core::{{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata}};
use openidconnect::{{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
}};

let http = openidconnect::reqwest::ClientBuilder::new()
    .redirect(openidconnect::reqwest::redirect::Policy::none())
    .build()?;
let metadata = CoreProviderMetadata::discover_async(
    IssuerUrl::new("{issuer}".to_string())?,
    &http,
)
.await?;
let client = CoreClient::from_provider_metadata(
    metadata,
    ClientId::new("{client_id}".to_string()),
    {secret}
)
.set_redirect_uri(RedirectUrl::new("{redirect}".to_string())?);

// Sign-in: keep pkce_verifier, csrf_state and nonce in the user's session.
let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
let (auth_url, csrf_state, nonce) = client
    .authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    )
{scopes}    .set_pkce_challenge(pkce_challenge)
    .url();

// Callback: check that `state` equals csrf_state, then
let tokens = client
    .exchange_code(AuthorizationCode::new(code))?
    .set_pkce_verifier(pkce_verifier)
    .request_async(&http)
    .await?;
let id_token = tokens.id_token().ok_or("no ID token")?;
let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
println!("signed in: {{}}", claims.subject().as_str());
"#,
            issuer = v.issuer,
            client_id = v.client_id,
            secret = rust_secret(v),
            redirect = v.redirect_uri,
        ),
    }
}

fn apache(v: &Values) -> Snippet {
    let path = url::Url::parse(&v.redirect_uri)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/protected/redirect_uri".to_owned());
    Snippet {
        id: "apache",
        title: "Apache: mod_auth_openidc",
        docs: APACHE_DOCS,
        code: format!(
            r#"# The secret comes from the environment Apache starts with (e.g. /etc/apache2/envvars).
OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret ${{GATEHOUSE_CLIENT_SECRET}}
# A path mod_auth_openidc handles itself, inside the protected location; no content there.
OIDCRedirectURI {redirect}
OIDCCryptoPassphrase <a long random passphrase>
OIDCScope "{scope}"
OIDCPKCEMethod S256

<Location {location}>
    AuthType openid-connect
    Require valid-user
</Location>
"#,
            issuer = v.issuer,
            client_id = v.client_id,
            redirect = v.redirect_uri,
            scope = v.scope,
            location = parent_path(&path),
        ),
    }
}

/// The location to protect: the directory of the redirect URI's path.
fn parent_path(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/".to_owned(),
        Some((parent, _)) => parent.to_owned(),
    }
}

fn node_machine(v: &Values) -> Snippet {
    Snippet {
        id: "node",
        title: "Node.js: openid-client",
        docs: NODE_DOCS,
        code: format!(
            r#"import * as client from 'openid-client'

const config = await client.discovery(
  new URL('{issuer}'),
  '{client_id}',
  process.env.GATEHOUSE_CLIENT_SECRET, // <your client secret>
)
const tokens = await client.clientCredentialsGrant(config, {{ scope: '{scope}' }})
// Call your API with: Authorization: Bearer ${{tokens.access_token}}
"#,
            issuer = v.issuer,
            client_id = v.client_id,
            scope = v.scope,
        ),
    }
}

fn authlib_machine(v: &Values) -> Snippet {
    Snippet {
        id: "authlib",
        title: "Python: Authlib",
        docs: "https://docs.authlib.org/en/latest/client/oauth2.html",
        code: format!(
            r#"import os
from authlib.integrations.requests_client import OAuth2Session

session = OAuth2Session(
    "{client_id}",
    os.environ["GATEHOUSE_CLIENT_SECRET"],  # <your client secret>
    scope="{scope}",
)
token = session.fetch_token("{issuer}/token", grant_type="client_credentials")
response = session.get("https://api.example.com/reports")  # sends the bearer token
"#,
            client_id = v.client_id,
            issuer = v.issuer,
            scope = v.scope,
        ),
    }
}

fn rust_machine(v: &Values) -> Snippet {
    let scopes: String = v
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| format!("    .add_scope(Scope::new(\"{s}\".to_string()))\n"))
        .collect();
    Snippet {
        id: "rust",
        title: "Rust: openidconnect",
        docs: RUST_DOCS,
        code: format!(
            r#"use openidconnect::core::{{CoreClient, CoreProviderMetadata}};
use openidconnect::{{ClientId, ClientSecret, IssuerUrl, OAuth2TokenResponse, Scope}};

let http = openidconnect::reqwest::ClientBuilder::new()
    .redirect(openidconnect::reqwest::redirect::Policy::none())
    .build()?;
let metadata =
    CoreProviderMetadata::discover_async(IssuerUrl::new("{issuer}".to_string())?, &http).await?;
let client = CoreClient::from_provider_metadata(
    metadata,
    ClientId::new("{client_id}".to_string()),
    Some(ClientSecret::new(std::env::var("GATEHOUSE_CLIENT_SECRET")?)), // <your client secret>
);
let tokens = client
    .exchange_client_credentials()?
{scopes}    .request_async(&http)
    .await?;
let access_token = tokens.access_token().secret();
"#,
            issuer = v.issuer,
            client_id = v.client_id,
        ),
    }
}

fn node_device(v: &Values) -> Snippet {
    Snippet {
        id: "node",
        title: "Node.js: openid-client",
        docs: NODE_DOCS,
        code: format!(
            r#"import * as client from 'openid-client'

const config = await client.discovery(
  new URL('{issuer}'),
  '{client_id}',
  undefined,
  client.None(), // a public client
)
const device = await client.initiateDeviceAuthorization(config, {{ scope: '{scope}' }})
console.log(`Open ${{device.verification_uri}} and enter ${{device.user_code}}`)
const tokens = await client.pollDeviceAuthorizationGrant(config, device)
const claims = tokens.claims()
"#,
            issuer = v.issuer,
            client_id = v.client_id,
            scope = v.scope,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::parent_path;

    #[test]
    fn the_protected_location_is_the_redirect_uris_directory() {
        assert_eq!(parent_path("/protected/redirect_uri"), "/protected");
        assert_eq!(parent_path("/callback"), "/");
        assert_eq!(parent_path("/a/b/c/"), "/a/b");
    }
}
