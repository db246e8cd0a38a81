//! A mock OpenID provider on 127.0.0.1:0 that signs ID tokens (ES256) with its own key: a
//! Microsoft-like multi-tenant persona (discovery at `/{tenant}/v2.0` naming the literal
//! `{tenantid}` in its issuer; `tid`, `oid`, `xms_edov`) and a Google-like one (issuer
//! `/google`, `hd`). Tests choose who signs in and which flaw the next ID token carries.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

#[derive(Clone, Debug, Default)]
pub struct OidcUser {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// Microsoft: tenant and object ids, the domain-verified flag.
    pub tid: Option<String>,
    pub oid: Option<String>,
    pub xms_edov: Option<bool>,
    /// Google: the Workspace domain.
    pub hd: Option<String>,
}

impl OidcUser {
    /// A Microsoft work account of tenant `tid`.
    pub fn microsoft(tid: &str, oid: &str, email: &str, edov: Option<bool>) -> Self {
        Self {
            sub: format!("pairwise-{oid}"),
            email: Some(email.to_owned()),
            tid: Some(tid.to_owned()),
            oid: Some(oid.to_owned()),
            xms_edov: edov,
            ..Self::default()
        }
    }

    pub fn google(sub: &str, email: &str, hd: Option<&str>) -> Self {
        Self {
            sub: sub.to_owned(),
            email: Some(email.to_owned()),
            email_verified: Some(true),
            hd: hd.map(str::to_owned),
            ..Self::default()
        }
    }
}

/// What is wrong with the next ID token the token endpoint hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IdTokenFlaw {
    #[default]
    None,
    WrongIssuer,
    WrongAudience,
    WrongNonce,
    /// Signed by a key the provider does not publish.
    ForeignSignature,
    /// HS256 with the client secret: an algorithm the provider never announced.
    Hs256,
}

#[derive(Default)]
struct State {
    user: Option<OidcUser>,
    flaw: IdTokenFlaw,
    /// code → (user, nonce, client_id)
    codes: HashMap<String, (OidcUser, String, String)>,
}

struct Keys {
    signing: EncodingKey,
    foreign: EncodingKey,
    jwks: JwkSet,
}

#[derive(Clone)]
pub struct MockOidc {
    pub address: String,
    state: Arc<Mutex<State>>,
}

fn es256_key() -> EncodingKey {
    let pkcs8 = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .unwrap()
        .to_pkcs8v1()
        .unwrap();
    EncodingKey::from_ec_der(pkcs8.as_ref())
}

impl MockOidc {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let signing = es256_key();
        let mut jwk = Jwk::from_encoding_key(&signing, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some("mock-1".into());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let keys = Arc::new(Keys {
            signing,
            foreign: es256_key(),
            jwks: JwkSet { keys: vec![jwk] },
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let address = format!("http://127.0.0.1:{port}");
        let shared = state.clone();
        let base = address.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .app_data(web::Data::new(keys.clone()))
                .app_data(web::Data::new(base.clone()))
                .route(
                    "/{tenant}/v2.0/.well-known/openid-configuration",
                    web::get().to(microsoft_discovery),
                )
                .route(
                    "/google/.well-known/openid-configuration",
                    web::get().to(google_discovery),
                )
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/keys", web::get().to(jwks))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self { address, state }
    }

    pub fn sign_in_as(&self, user: OidcUser) {
        self.state.lock().unwrap().user = Some(user);
    }

    pub fn set_flaw(&self, flaw: IdTokenFlaw) {
        self.state.lock().unwrap().flaw = flaw;
    }

    pub fn google_issuer(&self) -> String {
        format!("{}/google", self.address)
    }
}

type Shared = web::Data<Arc<Mutex<State>>>;
type Base = web::Data<String>;

fn metadata(base: &str, issuer: &str) -> serde_json::Value {
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/keys"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
    })
}

async fn microsoft_discovery(base: Base, path: web::Path<String>) -> HttpResponse {
    // Like login.microsoftonline.com/common: the issuer names the placeholder, not a tenant.
    let tenant = path.into_inner();
    let issuer = if uuid::Uuid::parse_str(&tenant).is_ok() {
        format!("{}/{tenant}/v2.0", base.as_str())
    } else {
        format!("{}/{{tenantid}}/v2.0", base.as_str())
    };
    HttpResponse::Ok().json(metadata(&base, &issuer))
}

async fn google_discovery(base: Base) -> HttpResponse {
    HttpResponse::Ok().json(metadata(&base, &format!("{}/google", base.as_str())))
}

async fn jwks(keys: web::Data<Arc<Keys>>) -> HttpResponse {
    HttpResponse::Ok().json(&keys.jwks)
}

async fn authorize(state: Shared, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let csrf = query.get("state").cloned().unwrap_or_default();
    let nonce = query.get("nonce").cloned().unwrap_or_default();
    let client_id = query.get("client_id").cloned().unwrap_or_default();
    let user = s.user.clone().expect("the test chose who signs in");
    let code = uuid::Uuid::new_v4().simple().to_string();
    s.codes.insert(code.clone(), (user, nonce, client_id));
    let mut url = url::Url::parse(&redirect).expect("redirect_uri");
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &csrf);
    HttpResponse::Found()
        .insert_header(("Location", url.to_string()))
        .finish()
}

async fn token(
    state: Shared,
    keys: web::Data<Arc<Keys>>,
    base: Base,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (entry, flaw) = {
        let mut s = state.lock().unwrap();
        let code = form.get("code").cloned().unwrap_or_default();
        (s.codes.remove(&code), s.flaw)
    };
    let Some((user, nonce, client_id)) = entry else {
        return HttpResponse::BadRequest().json(serde_json::json!({"error": "invalid_grant"}));
    };
    let issuer = match &user.tid {
        Some(tid) => format!("{}/{tid}/v2.0", base.as_str()),
        None => format!("{}/google", base.as_str()),
    };
    let now = chrono::Utc::now().timestamp();
    let mut claims = serde_json::json!({
        "iss": if flaw == IdTokenFlaw::WrongIssuer { "https://evil.example".to_owned() } else { issuer },
        "aud": if flaw == IdTokenFlaw::WrongAudience { "someone-else".to_owned() } else { client_id },
        "sub": user.sub,
        "iat": now,
        "exp": now + 300,
        "nonce": if flaw == IdTokenFlaw::WrongNonce { "replayed".to_owned() } else { nonce },
    });
    let map = claims.as_object_mut().unwrap();
    for (name, value) in [
        ("email", user.email.map(serde_json::Value::from)),
        (
            "email_verified",
            user.email_verified.map(serde_json::Value::from),
        ),
        ("tid", user.tid.map(serde_json::Value::from)),
        ("oid", user.oid.map(serde_json::Value::from)),
        ("xms_edov", user.xms_edov.map(serde_json::Value::from)),
        ("hd", user.hd.map(serde_json::Value::from)),
    ] {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("mock-1".into());
    let id_token = match flaw {
        IdTokenFlaw::ForeignSignature => jsonwebtoken::encode(&header, &claims, &keys.foreign),
        IdTokenFlaw::Hs256 => {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("mock-1".into());
            let secret = form.get("client_secret").cloned().unwrap_or_default();
            jsonwebtoken::encode(
                &header,
                &claims,
                &EncodingKey::from_secret(secret.as_bytes()),
            )
        }
        _ => jsonwebtoken::encode(&header, &claims, &keys.signing),
    }
    .unwrap();
    HttpResponse::Ok().json(serde_json::json!({
        "access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": id_token
    }))
}
