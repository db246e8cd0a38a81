//! A mock upstream provider on 127.0.0.1:0 (actix), with a control API: the GitHub REST
//! persona (also laid out as GitHub Enterprise under `/api/v3`). Tests set the user who
//! "signs in" at the provider, their emails and verified flags, and faults.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Clone, Debug)]
pub struct GithubEmail {
    pub email: String,
    pub primary: bool,
    pub verified: bool,
}

#[derive(Clone, Debug)]
pub struct GithubUser {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    pub emails: Vec<GithubEmail>,
}

impl GithubUser {
    /// A user whose primary email is `email`, verified or not.
    pub fn with_email(id: u64, email: &str, verified: bool) -> Self {
        Self {
            id,
            login: format!("octo{id}"),
            name: Some(format!("Octo {id}")),
            emails: vec![GithubEmail {
                email: email.to_owned(),
                primary: true,
                verified,
            }],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// The authorize step answers `error=access_denied`.
    AccessDenied,
    /// The token endpoint answers 200 with `{"error": "bad_verification_code"}`.
    TokenErrorIn200,
    /// The token endpoint never answers (well, not for a minute).
    Hang,
    /// The token endpoint answers with 2 MiB.
    Huge,
}

#[derive(Default)]
struct MockState {
    user: Option<GithubUser>,
    fault: Fault,
    codes: HashMap<String, GithubUser>,
    tokens: HashMap<String, GithubUser>,
    client_ids_seen: Vec<String>,
    token_requests: usize,
}

#[derive(Clone)]
pub struct MockUpstream {
    pub address: String,
    state: Arc<Mutex<MockState>>,
}

impl MockUpstream {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(MockState::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .route("/login/oauth/authorize", web::get().to(authorize))
                .route("/login/oauth/access_token", web::post().to(access_token))
                .route("/user", web::get().to(user))
                .route("/user/emails", web::get().to(emails))
                .route("/api/v3/user", web::get().to(user))
                .route("/api/v3/user/emails", web::get().to(emails))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self {
            address: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// The person who signs in at the provider next.
    pub fn sign_in_as(&self, user: GithubUser) {
        self.state.lock().unwrap().user = Some(user);
    }

    pub fn set_fault(&self, fault: Fault) {
        self.state.lock().unwrap().fault = fault;
    }

    /// Every `client_id` the authorize and token endpoints saw, in order.
    pub fn client_ids_seen(&self) -> Vec<String> {
        self.state.lock().unwrap().client_ids_seen.clone()
    }

    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests
    }
}

type Shared = web::Data<Arc<Mutex<MockState>>>;

async fn authorize(state: Shared, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let client_id = query.get("client_id").cloned().unwrap_or_default();
    s.client_ids_seen.push(client_id);
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let csrf = query.get("state").cloned().unwrap_or_default();
    let mut url = url::Url::parse(&redirect).expect("redirect_uri");
    if s.fault == Fault::AccessDenied {
        url.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &csrf);
    } else {
        let code = uuid::Uuid::new_v4().simple().to_string();
        let user = s.user.clone().expect("the test chose who signs in");
        s.codes.insert(code.clone(), user);
        url.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &csrf);
    }
    HttpResponse::Found()
        .insert_header(("Location", url.to_string()))
        .finish()
}

async fn access_token(state: Shared, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let fault = {
        let mut s = state.lock().unwrap();
        s.token_requests += 1;
        s.client_ids_seen
            .push(form.get("client_id").cloned().unwrap_or_default());
        s.fault
    };
    match fault {
        Fault::TokenErrorIn200 => {
            return HttpResponse::Ok().json(serde_json::json!({
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired."
            }));
        }
        Fault::Hang => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
        Fault::Huge => {
            let padding = "x".repeat(2 * 1024 * 1024);
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(format!(
                    "{{\"access_token\":\"t\",\"padding\":\"{padding}\"}}"
                ));
        }
        Fault::None | Fault::AccessDenied => {}
    }
    let mut s = state.lock().unwrap();
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(user) = s.codes.remove(&code) else {
        return HttpResponse::Ok().json(serde_json::json!({"error": "bad_verification_code"}));
    };
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    s.tokens.insert(token.clone(), user);
    HttpResponse::Ok().json(serde_json::json!({
        "access_token": token, "token_type": "bearer", "scope": "read:user,user:email"
    }))
}

fn bearer_user(state: &Shared, req: &HttpRequest) -> Option<GithubUser> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    let token = header.strip_prefix("Bearer ")?;
    state.lock().unwrap().tokens.get(token).cloned()
}

async fn user(state: Shared, req: HttpRequest) -> HttpResponse {
    if req.headers().get("user-agent").is_none() {
        return HttpResponse::Forbidden().body("User-Agent required");
    }
    match bearer_user(&state, &req) {
        // GitHub's `email` is null when the user keeps it private.
        Some(u) => HttpResponse::Ok().json(serde_json::json!({
            "id": u.id, "login": u.login, "name": u.name, "email": null
        })),
        None => {
            HttpResponse::Unauthorized().json(serde_json::json!({"message": "Bad credentials"}))
        }
    }
}

async fn emails(state: Shared, req: HttpRequest) -> HttpResponse {
    match bearer_user(&state, &req) {
        Some(u) => HttpResponse::Ok().json(
            u.emails
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "email": e.email, "primary": e.primary, "verified": e.verified,
                        "visibility": null
                    })
                })
                .collect::<Vec<_>>(),
        ),
        None => {
            HttpResponse::Unauthorized().json(serde_json::json!({"message": "Bad credentials"}))
        }
    }
}
