pub mod db;
pub mod mfa;
pub mod oidc;
pub mod smtp;

use std::sync::LazyLock;

use gatehouse::config::Settings;
use gatehouse::startup::Application;
use gatehouse::state::AppState;
use reqwest::StatusCode;
use sea_orm::DatabaseConnection;

pub use db::TestDb;
pub use smtp::{CapturedMail, SmtpSink};

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        gatehouse::telemetry::init("text", "info,gatehouse=debug");
    }
});

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub state: AppState,
    pub client: reqwest::Client,
    pub mail: SmtpSink,
    pub settings: Settings,
    _test_db: std::sync::Arc<TestDb>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Boots the real application (the same `Application::build` path as `main`) on a free port.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let test_db = std::sync::Arc::new(TestDb::fresh().await);
    spawn_instance(test_db, customize)
        .await
        .expect("application builds")
}

/// Another instance on `test_db` (several instances share one PostgreSQL database), with its
/// own port and SMTP listener; the error when it cannot start.
pub async fn spawn_instance(
    test_db: std::sync::Arc<TestDb>,
    customize: impl FnOnce(&mut Settings),
) -> anyhow::Result<TestApp> {
    LazyLock::force(&TRACING);
    let mail = SmtpSink::start().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut settings = Settings::for_tests(test_db.data_dir());
    settings.server.public_url = format!("http://127.0.0.1:{port}");
    settings.database.url = Some(test_db.url().to_owned().into());
    settings.database.max_connections = Some(5);
    settings.mail.smtp_url = Some(mail.url().into());
    customize(&mut settings);
    let app = Application::build_with_listener(settings.clone(), listener).await?;
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let address = settings.public_url().to_owned();
    let client = new_client();
    Ok(TestApp {
        address,
        db: state.db.clone(),
        state,
        client,
        mail,
        settings,
        _test_db: test_db,
    })
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // Below actix's 5 s keep-alive, so a pooled connection is never reused
        // just as the server closes it (hyper's IncompleteMessage under load).
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .expect("client")
}

/// The `next` hidden field of a login page, unescaped.
pub fn next_field_of(html: &str) -> String {
    let re = regex::Regex::new(r#"name="next" value="([^"]+)""#).expect("regex");
    re.captures(html).expect("page has a next field")[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The `csrf_token` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf_token" value="([^"]+)""#).expect("regex");
    re.captures(html).expect("page has a csrf_token field")[1].to_owned()
}

impl TestApp {
    /// The database this instance runs on, for starting more instances on it.
    pub fn test_db(&self) -> std::sync::Arc<TestDb> {
        self._test_db.clone()
    }

    /// The published JWKS.
    pub async fn jwks(&self) -> serde_json::Value {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .expect("JWKS is JSON")
    }

    /// The same app seen from another browser (own cookie jar).
    pub fn new_device(&self) -> TestApp {
        TestApp {
            client: new_client(),
            ..self.clone()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("body")
    }

    /// Loads `page` to obtain a CSRF token, then posts `fields` to `action` with it.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = self.get(page).await.text().await.expect("body");
        let csrf = csrf_of(&html);
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        self.client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .expect("request")
    }

    /// Posts `fields` to `action` with the CSRF token of a page already loaded (`page_html`).
    pub async fn post_form(
        &self,
        action: &str,
        page_html: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let csrf = csrf_of(page_html);
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        self.client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .expect("request")
    }

    /// Signs in on a login page that carries a `next` (a relying app's or the device page's),
    /// as the browser posts it: the hidden `next` field goes back with the credentials.
    pub async fn login_with_next(
        &self,
        login_page_html: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let next = next_field_of(login_page_html);
        self.post_form(
            "/login",
            login_page_html,
            &[("email", email), ("password", password), ("next", &next)],
        )
        .await
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/register",
            "/register",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Asks for a reset link, follows the newest one and sets `new_password`; returns the reset
    /// page's answer and the link.
    pub async fn reset_password(&self, email: &str, new_password: &str) -> (String, String) {
        let before = self.mail.messages_to(email).len();
        self.submit("/forgot-password", "/forgot-password", &[("email", email)])
            .await;
        let link = self
            .mail
            .wait_for_subject(email, "Reset your password", before)
            .await
            .link();
        let path = link
            .strip_prefix(&self.address)
            .expect("link points at the issuer")
            .to_owned();
        let token = path
            .split("token=")
            .nth(1)
            .expect("token in link")
            .to_owned();
        let page = self
            .submit(
                &path,
                "/reset-password",
                &[("token", &token), ("password", new_password)],
            )
            .await
            .text()
            .await
            .expect("reset page");
        (page, link)
    }

    /// Follows the emailed verification link through its confirmation form.
    pub async fn verify_from_mail(&self, mail: &CapturedMail) -> reqwest::Response {
        let link = mail.link();
        let path = link
            .strip_prefix(&self.address)
            .expect("link points at the issuer");
        let token = path
            .split("token=")
            .nth(1)
            .expect("token in link")
            .to_owned();
        // A link that cannot be used gets its answer on the GET, without a form.
        let page = self.get(path).await;
        if page.status() != StatusCode::OK {
            return page;
        }
        let html = page.text().await.expect("body");
        self.post_form("/verify-email", &html, &[("token", &token)])
            .await
    }

    /// Registers and verifies an account through the pages.
    pub async fn verified_user(&self, email: &str) {
        assert_eq!(
            self.register(email, PASSWORD).await.status(),
            StatusCode::OK
        );
        let mail = self.mail.wait_for(email).await;
        let verified = self.verify_from_mail(&mail).await;
        let status = verified.status();
        let body = verified.text().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::OK,
            "verification failed for {email}: {body}\nmail:\n{}",
            mail.raw
        );
    }

    /// Runs `gatehouse <args> --json` on this app's database and master key; its printed JSON.
    pub async fn cli(&self, args: &[&str]) -> serde_json::Value {
        self.try_cli(args)
            .await
            .unwrap_or_else(|stderr| panic!("{stderr}"))
    }

    /// `gatehouse <args> --json` on this app's database: the printed JSON, or the error output.
    pub async fn try_cli(&self, args: &[&str]) -> Result<serde_json::Value, String> {
        use secrecy::ExposeSecret;
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(args)
            .arg("--json")
            .env(
                "DATABASE_URL",
                self.settings.database.url.as_ref().unwrap().expose_secret(),
            )
            .env(
                "GATEHOUSE_MASTER_KEY",
                self.settings.master_key.as_ref().unwrap().expose_secret(),
            )
            .env("GATEHOUSE_DATA_DIR", &self.settings.data_dir)
            .env("GATEHOUSE_LOG__LEVEL", "error")
            .output()
            .await
            .unwrap();
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        Ok(serde_json::from_slice(&output.stdout).unwrap())
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }
}

pub fn assert_redirect_to(response: &reqwest::Response, location: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {location}"
    );
    assert_eq!(response.headers()["location"], location);
}

pub fn unique_email() -> String {
    format!(
        "user-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}
pub mod rp;
pub mod upstream;
pub mod upstream_oidc;

pub const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// A registered service for tests.
pub struct TestService {
    pub client_id: String,
    pub secret: Option<String>,
}

#[derive(Clone)]
pub struct ServiceOptions {
    pub public: bool,
    pub first_party: bool,
    pub grant_types: Vec<&'static str>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Vec<&'static str>,
    pub signing_alg: Option<&'static str>,
    pub device_activation_uri: Option<String>,
    pub allow_password_api: bool,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            public: false,
            first_party: false,
            grant_types: vec!["authorization_code", "refresh_token"],
            redirect_uris: vec![CALLBACK.to_owned()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:9/signed-out".to_owned()],
            scopes: vec![],
            signing_alg: None,
            device_activation_uri: None,
            allow_password_api: false,
        }
    }
}

impl ServiceOptions {
    /// A confidential first-party service (no consent page), otherwise the defaults.
    pub fn first_party() -> Self {
        Self {
            first_party: true,
            ..Self::default()
        }
    }
}

impl TestApp {
    /// Creates an organization through the admin layer as the CLI does.
    pub async fn create_org(&self, slug: &str, name: &str) -> gatehouse::admin::orgs::OrgView {
        gatehouse::admin::orgs::create(
            &self.state,
            &gatehouse::admin::Actor::Cli,
            &Default::default(),
            gatehouse::admin::orgs::NewOrg {
                slug: slug.into(),
                name: name.into(),
            },
        )
        .await
        .unwrap()
    }

    pub async fn create_service(&self, options: ServiceOptions) -> TestService {
        let org_slug = format!("org-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        if gatehouse::store::organizations::find_by_slug(&self.db, &org_slug)
            .await
            .unwrap()
            .is_none()
        {
            self.create_org(&org_slug, "Acme Corp").await;
        }
        let created = gatehouse::admin::services::create(
            &self.state,
            &gatehouse::admin::Actor::Cli,
            &Default::default(),
            &org_slug,
            gatehouse::admin::services::NewServiceInput {
                slug: "web-app".into(),
                name: "Acme Web".into(),
                public: options.public,
                grant_types: options
                    .grant_types
                    .iter()
                    .map(|g| (*g).to_owned())
                    .collect(),
                redirect_uris: options.redirect_uris,
                post_logout_redirect_uris: options.post_logout_redirect_uris,
                first_party: options.first_party,
                device_activation_uri: options.device_activation_uri,
                scopes: options.scopes.iter().map(|s| (*s).to_owned()).collect(),
                signing_alg: options.signing_alg.map(str::to_owned),
                allow_password_api: options.allow_password_api,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        TestService {
            client_id: created.client_id,
            secret: created.client_secret,
        }
    }

    pub async fn rp(&self, service: &TestService) -> rp::RelyingParty {
        rp::RelyingParty::discover(
            &self.address,
            &service.client_id,
            service.secret.as_deref(),
            CALLBACK,
        )
        .await
    }

    /// A relying app of `service` and the tokens it gets once `email` signs in and approves.
    pub async fn tokens_through_browser(
        &self,
        service: &TestService,
        email: &str,
        scopes: &[&str],
    ) -> (rp::RelyingParty, openidconnect::core::CoreTokenResponse) {
        let rp = self.rp(service).await;
        let request = rp.authorize(scopes);
        let callback = self
            .authorize_in_browser(&request.url, email, "approve")
            .await;
        let tokens = rp
            .exchange(&rp::callback_params(&callback)["code"], request.verifier)
            .await;
        (rp, tokens)
    }

    /// Follows an authorization URL like a browser: signs in with the pages when asked, approves
    /// consent when shown, and returns the final redirect to the client.
    pub async fn authorize_in_browser(&self, url: &str, email: &str, consent: &str) -> String {
        let request_field = regex::Regex::new(r#"name="request" value="([^"]+)""#).unwrap();
        let mut location = url.to_owned();
        for _ in 0..10 {
            if location.starts_with("http://127.0.0.1:9/") {
                return location;
            }
            let absolute = if location.starts_with('/') {
                self.url(&location)
            } else {
                location.clone()
            };
            let response = self.client.get(&absolute).send().await.unwrap();
            if response.status().is_redirection() {
                location = response.headers()["location"].to_str().unwrap().to_owned();
                if location.starts_with("/login") {
                    let path = location.clone();
                    let html = self.get_html(&path).await;
                    let login = self.login_with_next(&html, email, PASSWORD).await;
                    assert_eq!(login.status(), StatusCode::SEE_OTHER, "sign-in succeeds");
                    location = login.headers()["location"].to_str().unwrap().to_owned();
                }
                continue;
            }
            let html = response.text().await.unwrap();
            if html.contains("/authorize/consent") {
                let request = request_field.captures(&html).unwrap()[1].to_owned();
                let decision = self
                    .client
                    .post(self.url("/authorize/consent"))
                    .form(&[
                        ("request", request.as_str()),
                        ("decision", consent),
                        ("csrf_token", &csrf_of(&html)),
                    ])
                    .send()
                    .await
                    .unwrap();
                location = decision.headers()["location"].to_str().unwrap().to_owned();
                continue;
            }
            return html;
        }
        panic!("authorization did not finish");
    }
}

/// Rows in every table that an anonymous request could write to: a request that is refused
/// must leave these unchanged, and a flood must keep them bounded.
pub async fn row_counts(db: &DatabaseConnection) -> std::collections::BTreeMap<&'static str, i64> {
    use sea_orm::{ConnectionTrait, Statement};
    let mut counts = std::collections::BTreeMap::new();
    for table in [
        "users",
        "one_time_tokens",
        "mail_outbox",
        "audit_events",
        "authorization_requests",
        "authorization_codes",
        "login_tickets",
        "webauthn_ceremonies",
        "device_codes",
        "browser_sessions",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("one row");
        counts.insert(table, row.try_get::<i64>("", "n").expect("count"));
    }
    counts
}

/// A client behind the trusted test proxy (127.0.0.1), identified by `X-Forwarded-For`.
pub fn from_client(app: &TestApp, path: &str, client_ip: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("x-forwarded-for", client_ip)
}
