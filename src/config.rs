//! Settings: built-in defaults < optional TOML file < `GATEHOUSE_<SECTION>__<KEY>` env < `DATABASE_URL`.
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub server: ServerSettings,
    /// Where the SQLite database, the generated master key and the dev outbox live.
    pub data_dir: PathBuf,
    /// 32 bytes, base64. Generated into `<data_dir>/master.key` when absent.
    pub master_key: Option<SecretString>,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub password: PasswordSettings,
    pub session: SessionSettings,
    pub tokens: TokenSettings,
    pub keys: KeySettings,
    pub rate_limit: RateLimitSettings,
    pub magic_link: MagicLinkSettings,
    /// The platform's branding: the default of every hosted page and mail.
    pub branding: BrandingSettings,
    /// Risk-based sign-in (docs/security.md#risk-based-sign-in).
    pub risk: RiskSettings,
    /// Upstream identity providers (federation): the platform's defaults.
    pub providers: ProvidersSettings,
    pub log: LogSettings,
    /// The admin REST API (`/api/admin`).
    pub admin: AdminSettings,
}

/// `GATEHOUSE_BOOTSTRAP_TOKEN`, `_SCOPES` and `_EXPIRES_AT` are read too (see `Settings::load`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AdminSettings {
    /// A platform-wide admin token for the first setup; never stored in the database.
    pub bootstrap_token: Option<SecretString>,
    /// Admin scopes of the bootstrap token; empty means every admin scope.
    pub bootstrap_token_scopes: Vec<String>,
    /// RFC 3339 time or Unix seconds after which the bootstrap token is refused.
    pub bootstrap_token_expires_at: Option<String>,
    /// Where an admin sign-in (`/auth/admin/{provider}`) delivers its admin JWT (seed 004:
    /// "redirects to platform admin redirect URI with tokens"), in the URL fragment. Unset:
    /// admins land on `/account`.
    pub token_redirect_uri: Option<String>,
}

impl AdminSettings {
    /// The bootstrap token's scopes (every admin scope when none are configured).
    pub fn bootstrap_scopes(&self) -> Result<Vec<crate::admin::Scope>, String> {
        if self.bootstrap_token_scopes.is_empty() {
            return Ok(crate::admin::Scope::ALL.to_vec());
        }
        crate::admin::Scope::parse_list(self.bootstrap_token_scopes.iter().map(String::as_str))
            .map_err(|e| e.to_string())
    }

    /// When the bootstrap token stops working, if ever.
    pub fn bootstrap_expires_at(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        let Some(raw) = self.bootstrap_token_expires_at.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if let Ok(secs) = raw.parse::<i64>() {
            return chrono::DateTime::from_timestamp(secs, 0)
                .map(Some)
                .ok_or_else(|| format!("{raw:?} is out of range"));
        }
        chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|_| format!("{raw:?} is neither RFC 3339 nor Unix seconds"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The issuer: the URL browsers and relying apps use to reach Gatehouse. Empty (the
    /// default): `http://localhost:<port>` for the port actually bound, see
    /// [`Settings::resolve_public_url`].
    pub public_url: String,
    pub workers: Option<usize>,
    /// Reverse proxies (CIDR ranges or addresses) whose `Forwarded` / `X-Forwarded-For` headers
    /// name the client. Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies write: `x-forwarded-for` or `forwarded` (RFC 7239).
    pub proxy_header: String,
    /// Bearer token of `GET /metrics` (Prometheus); unset: the endpoint answers 404.
    pub metrics_token: Option<SecretString>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; defaults to `<data_dir>/gatehouse.db`.
    pub url: Option<SecretString>,
    /// Pool size; unset: [`DatabaseSettings::SQLITE_POOL`] on SQLite (plus the one writer
    /// connection) and [`DatabaseSettings::POSTGRES_POOL`] on PostgreSQL.
    pub max_connections: Option<u32>,
}

impl DatabaseSettings {
    /// Readers; write transactions have a connection of their own (`store::writer`).
    pub const SQLITE_POOL: u32 = 3;
    pub const POSTGRES_POOL: u32 = 16;

    /// The pool size for the database at `url`.
    pub fn pool_size(&self, url: &str) -> u32 {
        self.max_connections
            .unwrap_or(if url.starts_with("sqlite") {
                Self::SQLITE_POOL
            } else {
                Self::POSTGRES_POOL
            })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MailSettings {
    /// `smtp://`, `smtps://` or `smtp://…?tls=required` (STARTTLS). Empty: dev outbox on disk.
    pub smtp_url: Option<SecretString>,
    pub from: String,
    pub max_attempts: i32,
    /// Days a sent or given-up message's row is kept (without its body) before it is deleted.
    pub retention_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PasswordSettings {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Password hashing threads (the most hashes computed at once); 0 means the number of CPUs.
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    pub cookie_name: String,
    pub ttl_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TokenSettings {
    pub email_verification_ttl_minutes: i64,
    pub password_reset_ttl_minutes: i64,
    /// A refresh-token family ends this long after its sign-in, however often it was rotated
    /// (the per-service sliding lifetime restarts at every rotation).
    pub refresh_absolute_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct KeySettings {
    /// `Cache-Control: max-age` for discovery and JWKS.
    pub jwks_max_age_secs: u32,
    pub rsa_bits: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// Sign-in attempts allowed per client IP per minute.
    pub login_per_ip_per_minute: u32,
    /// Sign-in attempts allowed per (account, client network) pair per 15 minutes.
    pub login_per_account_per_15_minutes: u32,
    /// Sign-in attempts allowed per account per 15 minutes, from all networks together.
    pub login_per_account_ceiling_per_15_minutes: u32,
    /// Emails (verification, reset) per address per hour.
    pub mail_per_address_per_hour: u32,
    /// Account registrations, mail requests and passkey ceremony starts per client IP per minute.
    pub requests_per_ip_per_minute: u32,
    /// Second-factor (TOTP or backup code) attempts per user per 5 minutes.
    pub mfa_attempts_per_user_per_5_minutes: u32,
    /// Device user-code lookups (verification page and `/auth/device/verify`) per client IP
    /// per minute.
    pub device_code_entry_per_ip_per_minute: u32,
    /// Magic-link requests per (email address, client network) pair per 15 minutes.
    pub magic_links_per_email_per_15_minutes: u32,
    /// Magic-link requests per email address per 15 minutes, from all networks together.
    pub magic_links_per_email_ceiling_per_15_minutes: u32,
    /// Authorization requests (`/authorize`) per client network per minute.
    pub authorize_per_ip_per_minute: u32,
    /// Admin API requests per caller (token, user or bootstrap token) per minute.
    pub admin_api_per_caller_per_minute: u32,
    /// Where the counters live: `memory` (each instance counts alone), `postgres` (shared through
    /// the database; PostgreSQL only) or `redis` (`redis_url`). The in-memory limiter always
    /// runs first as a cheap pre-filter.
    pub backend: String,
    /// The Redis server of `backend = "redis"`, e.g. `redis://127.0.0.1:6379/0`.
    pub redis_url: Option<SecretString>,
    /// Prefix of the shared counters' keys, so deployments can share one Redis.
    pub key_prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MagicLinkSettings {
    /// Minutes a sign-in link stays valid.
    pub ttl_minutes: i64,
    /// Create an account (verified) when a link is used for an unknown address.
    pub allow_signup: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BrandingSettings {
    /// The name on the hosted pages and the display name of the mail sender.
    pub name: String,
    /// An https logo URL for the page header.
    pub logo_url: Option<String>,
    /// `#rrggbb`; must reach 4.5:1 against white (a dark-mode variant is derived).
    pub accent: Option<String>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_url: Option<String>,
    /// The language of pages and mail when neither the request nor the person names a
    /// shipped one (`en`, `de`).
    pub default_language: String,
}

impl Default for BrandingSettings {
    fn default() -> Self {
        Self {
            name: "Gatehouse".into(),
            logo_url: None,
            accent: None,
            support_url: None,
            privacy_url: None,
            terms_url: None,
            default_language: "en".into(),
        }
    }
}

impl Default for MagicLinkSettings {
    fn default() -> Self {
        Self {
            ttl_minutes: 15,
            allow_signup: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RiskSettings {
    /// Score sign-ins and act on the score; when false every sign-in proceeds as before.
    pub enabled: bool,
    /// From this score on a second step is required (TOTP, else an emailed code).
    pub step_up_at: i32,
    /// From this score the sign-in is refused and the owner is told by mail.
    pub block_at: i32,
}

impl Default for RiskSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            step_up_at: 50,
            block_at: 100,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ProvidersSettings {
    /// Seconds an upstream call (discovery, keys, token, user API) may take in all.
    pub timeout_secs: u64,
    /// Create a (verified) account for an unknown upstream identity with a verified email.
    pub allow_signup: bool,
    pub github: GithubSettings,
    pub google: GoogleSettings,
    pub microsoft: MicrosoftSettings,
}

impl Default for ProvidersSettings {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            allow_signup: true,
            github: GithubSettings::default(),
            google: GoogleSettings::default(),
            microsoft: MicrosoftSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GithubSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// `https://github.com`, or a GitHub Enterprise server.
    pub base_url: String,
    /// `https://api.github.com`; GitHub Enterprise serves it at `{base_url}/api/v3`.
    pub api_base_url: String,
}

impl Default for GithubSettings {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            base_url: "https://github.com".into(),
            api_base_url: "https://api.github.com".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GoogleSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub issuer: String,
    /// Accept only accounts of this Google Workspace domain (the `hd` claim).
    pub hosted_domain: Option<String>,
}

impl Default for GoogleSettings {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            issuer: "https://accounts.google.com".into(),
            hosted_domain: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MicrosoftSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// `common`, `organizations`, `consumers` or a tenant GUID.
    pub tenant: String,
    pub authority_host: String,
    /// Tenant GUIDs accepted with a multi-tenant `tenant`; empty accepts every tenant.
    pub allowed_tenants: Vec<String>,
}

impl Default for MicrosoftSettings {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            tenant: "common".into(),
            authority_host: "https://login.microsoftonline.com".into(),
            allowed_tenants: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    /// `auto` (text on a terminal, JSON lines otherwise), `text` or `json`.
    pub format: String,
    /// An `EnvFilter` directive; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerSettings::default(),
            data_dir: PathBuf::from("./data"),
            master_key: None,
            database: DatabaseSettings::default(),
            mail: MailSettings::default(),
            password: PasswordSettings::default(),
            session: SessionSettings::default(),
            tokens: TokenSettings::default(),
            keys: KeySettings::default(),
            rate_limit: RateLimitSettings::default(),
            magic_link: MagicLinkSettings::default(),
            branding: BrandingSettings::default(),
            risk: RiskSettings::default(),
            providers: ProvidersSettings::default(),
            log: LogSettings::default(),
            admin: AdminSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            public_url: String::new(),
            workers: None,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            proxy_header: "x-forwarded-for".into(),
        }
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Gatehouse <no-reply@localhost>".into(),
            max_attempts: 8,
            retention_days: 30,
        }
    }
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_concurrent_hashes: 0,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            cookie_name: "gh_session".into(),
            ttl_hours: 24 * 14,
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            email_verification_ttl_minutes: 24 * 60,
            password_reset_ttl_minutes: 60,
            refresh_absolute_days: 90,
        }
    }
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            jwks_max_age_secs: 300,
            rsa_bits: 2048,
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            login_per_ip_per_minute: 20,
            login_per_account_per_15_minutes: 10,
            login_per_account_ceiling_per_15_minutes: 100,
            mail_per_address_per_hour: 5,
            requests_per_ip_per_minute: 30,
            mfa_attempts_per_user_per_5_minutes: 5,
            device_code_entry_per_ip_per_minute: 20,
            magic_links_per_email_per_15_minutes: 3,
            magic_links_per_email_ceiling_per_15_minutes: 15,
            authorize_per_ip_per_minute: 60,
            admin_api_per_caller_per_minute: 300,
            backend: "memory".into(),
            redis_url: None,
            key_prefix: "gatehouse:rl:".into(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "auto".into(),
            level: "info".into(),
        }
    }
}

impl Settings {
    /// Loads every layer. `config_file` comes from `--config` or `GATEHOUSE_CONFIG`.
    pub fn load(config_file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(path) = config_file {
            builder = builder.add_source(
                config::File::new(&path.to_string_lossy(), config::FileFormat::Toml).required(true),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("GATEHOUSE")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("server.trusted_proxies")
                .with_list_parse_key("providers.microsoft.allowed_tenants")
                .with_list_parse_key("admin.bootstrap_token_scopes"),
        );
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        // The bootstrap token's conventional names (seed 001), besides GATEHOUSE_ADMIN__….
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(token) = env("GATEHOUSE_BOOTSTRAP_TOKEN") {
            settings.admin.bootstrap_token = Some(SecretString::from(token));
        }
        if let Some(scopes) = env("GATEHOUSE_BOOTSTRAP_TOKEN_SCOPES") {
            settings.admin.bootstrap_token_scopes =
                scopes.split(',').map(|s| s.trim().to_owned()).collect();
        }
        if let Some(at) = env("GATEHOUSE_BOOTSTRAP_TOKEN_EXPIRES_AT") {
            settings.admin.bootstrap_token_expires_at = Some(at);
        }
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.is_empty()
        {
            settings.database.url = Some(SecretString::from(url));
        }
        Ok(settings)
    }

    /// Fast, deterministic settings for the test suite (cheap Argon2, fixed master key).
    pub fn for_tests(data_dir: PathBuf) -> Self {
        let mut settings = Settings {
            data_dir,
            ..Settings::default()
        };
        settings.server.port = 0;
        settings.password = PasswordSettings {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 0,
        };
        settings.master_key = Some(SecretString::from(
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ));
        settings.server.workers = Some(2);
        settings
    }

    /// Every problem at once, each naming the key to fix.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut problems = Vec::new();
        match Url::parse(&self.server.public_url) {
            // Unset: resolved from the bound port at startup.
            _ if self.server.public_url.is_empty() => {}
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                    problems.push(
                        "server.public_url (GATEHOUSE_SERVER__PUBLIC_URL) must be an origin without path, query or fragment, e.g. https://id.example.com".to_string(),
                    );
                }
            }
            _ => problems.push(format!(
                "server.public_url (GATEHOUSE_SERVER__PUBLIC_URL) must be an http(s) URL, got {:?}",
                self.server.public_url
            )),
        }
        match self.rate_limit.backend.as_str() {
            "memory" => {}
            "postgres" if !self.database_url().starts_with("postgres") => problems.push(
                "rate_limit.backend (GATEHOUSE_RATE_LIMIT__BACKEND) = \"postgres\" needs a PostgreSQL database.url".to_string(),
            ),
            "postgres" => {}
            "redis" if self.rate_limit.redis_url.is_none() => problems.push(
                "rate_limit.backend (GATEHOUSE_RATE_LIMIT__BACKEND) = \"redis\" needs rate_limit.redis_url (GATEHOUSE_RATE_LIMIT__REDIS_URL)".to_string(),
            ),
            "redis" => {}
            other => problems.push(format!(
                "rate_limit.backend (GATEHOUSE_RATE_LIMIT__BACKEND) must be memory, postgres or redis, got {other:?}"
            )),
        }
        if crate::domain::ProxyHeader::parse(&self.server.proxy_header).is_none() {
            problems.push(format!(
                "server.proxy_header (GATEHOUSE_SERVER__PROXY_HEADER) must be x-forwarded-for or forwarded, got {:?}",
                self.server.proxy_header
            ));
        }
        if let Err(bad) = crate::domain::TrustedProxies::parse(
            &self.server.trusted_proxies,
            crate::domain::ProxyHeader::default(),
        ) {
            problems.push(format!(
                "server.trusted_proxies (GATEHOUSE_SERVER__TRUSTED_PROXIES) must list CIDR ranges or IP addresses, got {bad:?}"
            ));
        }
        if self.server.host.trim().is_empty() {
            problems.push("server.host (GATEHOUSE_SERVER__HOST) must not be empty".into());
        }
        if let Some(key) = &self.master_key
            && crate::keys::MasterKey::from_base64(key.expose_secret()).is_err()
        {
            problems.push(
                "master_key (GATEHOUSE_MASTER_KEY) must be 32 bytes encoded as base64 (try: openssl rand -base64 32)".into(),
            );
        }
        if let Some(url) = &self.database.url {
            let url = url.expose_secret();
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                problems.push("database.url (DATABASE_URL) must start with sqlite:, postgres:// or postgresql://".into());
            }
        }
        if self.risk.step_up_at < 1 || self.risk.block_at < self.risk.step_up_at {
            problems.push(format!(
                "risk.step_up_at (GATEHOUSE_RISK__STEP_UP_AT) must be at least 1 and risk.block_at (GATEHOUSE_RISK__BLOCK_AT) at least risk.step_up_at, got {} and {}",
                self.risk.step_up_at, self.risk.block_at
            ));
        }
        if self.database.max_connections == Some(0) {
            problems.push(
                "database.max_connections (GATEHOUSE_DATABASE__MAX_CONNECTIONS) must be at least 1"
                    .into(),
            );
        }
        if let Some(url) = &self.mail.smtp_url {
            let url = url.expose_secret();
            if !(url.is_empty() || url.starts_with("smtp://") || url.starts_with("smtps://")) {
                problems.push(
                    "mail.smtp_url (GATEHOUSE_MAIL__SMTP_URL) must start with smtp:// or smtps://"
                        .into(),
                );
            }
        }
        if self.mail.retention_days < 1 {
            problems.push(
                "mail.retention_days (GATEHOUSE_MAIL__RETENTION_DAYS) must be at least 1".into(),
            );
        }
        if self.mail.max_attempts < 1 {
            problems
                .push("mail.max_attempts (GATEHOUSE_MAIL__MAX_ATTEMPTS) must be at least 1".into());
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            problems.push(format!(
                "mail.from (GATEHOUSE_MAIL__FROM) must be a mailbox such as \"Gatehouse <no-reply@example.com>\", got {:?}",
                self.mail.from
            ));
        }
        if argon2::Params::new(
            self.password.argon2_memory_kib,
            self.password.argon2_iterations,
            self.password.argon2_parallelism,
            None,
        )
        .is_err()
        {
            problems.push("password.argon2_* (GATEHOUSE_PASSWORD__ARGON2_MEMORY_KIB, _ITERATIONS, _PARALLELISM) are not valid Argon2 parameters".into());
        }
        if self.session.ttl_hours <= 0 {
            problems
                .push("session.ttl_hours (GATEHOUSE_SESSION__TTL_HOURS) must be positive".into());
        }
        let branding = &self.branding;
        if branding.name.trim().is_empty() {
            problems.push("branding.name (GATEHOUSE_BRANDING__NAME) must not be empty".into());
        }
        if let Some(Err(e)) = branding
            .accent
            .as_deref()
            .map(crate::branding::Accent::parse)
        {
            problems.push(format!("branding.accent (GATEHOUSE_BRANDING__ACCENT): {e}"));
        }
        for (key, value) in [
            ("logo_url", &branding.logo_url),
            ("support_url", &branding.support_url),
            ("privacy_url", &branding.privacy_url),
            ("terms_url", &branding.terms_url),
        ] {
            if let Some(Err(e)) = value.as_deref().map(|v| crate::branding::https_url(v, key)) {
                problems.push(format!(
                    "branding.{key} (GATEHOUSE_BRANDING__{}): {e}",
                    key.to_uppercase()
                ));
            }
        }
        if let Some(uri) = &self.admin.token_redirect_uri
            && let Err(e) = crate::admin::validate_redirect_uri(uri)
        {
            problems.push(format!(
                "admin.token_redirect_uri (GATEHOUSE_ADMIN__TOKEN_REDIRECT_URI): {e}"
            ));
        }
        if self.magic_link.ttl_minutes <= 0 {
            problems.push(
                "magic_link.ttl_minutes (GATEHOUSE_MAGIC_LINK__TTL_MINUTES) must be positive"
                    .into(),
            );
        }
        if self.tokens.email_verification_ttl_minutes <= 0
            || self.tokens.password_reset_ttl_minutes <= 0
        {
            problems.push("tokens.*_ttl_minutes (GATEHOUSE_TOKENS__…) must be positive".into());
        }
        if !(1..=3650).contains(&self.tokens.refresh_absolute_days) {
            problems.push(
                "tokens.refresh_absolute_days (GATEHOUSE_TOKENS__REFRESH_ABSOLUTE_DAYS) must be between 1 and 3650"
                    .into(),
            );
        }
        if ![2048, 3072, 4096].contains(&self.keys.rsa_bits) {
            problems
                .push("keys.rsa_bits (GATEHOUSE_KEYS__RSA_BITS) must be 2048, 3072 or 4096".into());
        }
        let limits = &self.rate_limit;
        if [
            limits.login_per_ip_per_minute,
            limits.login_per_account_per_15_minutes,
            limits.login_per_account_ceiling_per_15_minutes,
            limits.mail_per_address_per_hour,
            limits.requests_per_ip_per_minute,
            limits.mfa_attempts_per_user_per_5_minutes,
            limits.device_code_entry_per_ip_per_minute,
            limits.magic_links_per_email_per_15_minutes,
            limits.magic_links_per_email_ceiling_per_15_minutes,
            limits.authorize_per_ip_per_minute,
            limits.admin_api_per_caller_per_minute,
        ]
        .contains(&0)
        {
            problems.push("rate_limit.* (GATEHOUSE_RATE_LIMIT__…) must be at least 1".into());
        }
        if limits.login_per_account_ceiling_per_15_minutes < limits.login_per_account_per_15_minutes
            || limits.magic_links_per_email_ceiling_per_15_minutes
                < limits.magic_links_per_email_per_15_minutes
        {
            problems.push("rate_limit.*_ceiling_per_15_minutes (GATEHOUSE_RATE_LIMIT__…_CEILING_PER_15_MINUTES) must be at least the per-network budget it caps".into());
        }
        if self.providers.timeout_secs == 0 {
            problems.push(
                "providers.timeout_secs (GATEHOUSE_PROVIDERS__TIMEOUT_SECS) must be at least 1"
                    .into(),
            );
        }
        for (key, value) in [
            ("providers.github.base_url", &self.providers.github.base_url),
            (
                "providers.github.api_base_url",
                &self.providers.github.api_base_url,
            ),
            ("providers.google.issuer", &self.providers.google.issuer),
            (
                "providers.microsoft.authority_host",
                &self.providers.microsoft.authority_host,
            ),
        ] {
            if !Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                problems.push(format!("{key} must be an http(s) URL, got {value:?}"));
            }
        }
        if let Err(e) = self.admin.bootstrap_scopes() {
            problems.push(format!(
                "admin.bootstrap_token_scopes (GATEHOUSE_BOOTSTRAP_TOKEN_SCOPES): {e}"
            ));
        }
        if let Err(e) = self.admin.bootstrap_expires_at() {
            problems.push(format!(
                "admin.bootstrap_token_expires_at (GATEHOUSE_BOOTSTRAP_TOKEN_EXPIRES_AT): {e}"
            ));
        }
        if self
            .admin
            .bootstrap_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().len() < 16)
        {
            problems.push(
                "admin.bootstrap_token (GATEHOUSE_BOOTSTRAP_TOKEN) must be at least 16 characters (try: openssl rand -base64 32)"
                    .into(),
            );
        }
        if !matches!(self.log.format.as_str(), "auto" | "text" | "json") {
            problems.push("log.format (GATEHOUSE_LOG__FORMAT) must be auto, text or json".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// With `server.public_url` unset, makes the issuer `http://localhost:<port>`: the port
    /// actually bound (port 0 picks one), so discovery never names a port nobody listens on.
    /// Call once, before the settings are shared.
    pub fn resolve_public_url(&mut self, port: u16) {
        if self.server.public_url.is_empty() {
            self.server.public_url = format!("http://localhost:{port}");
        }
    }

    /// A plain-http issuer on a host other than this machine: tokens, codes and session
    /// cookies would cross the network unencrypted.
    pub fn public_url_is_insecure(&self) -> bool {
        Url::parse(&self.server.public_url).is_ok_and(|url| {
            url.scheme() == "http"
                && match url.host() {
                    Some(url::Host::Domain(name)) => {
                        !name.eq_ignore_ascii_case("localhost")
                            && !name.to_ascii_lowercase().ends_with(".localhost")
                    }
                    Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
                    None => false,
                }
        })
    }

    pub fn public_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }

    pub fn is_https(&self) -> bool {
        self.server
            .public_url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gatehouse.db").display()
            ),
        }
    }
}

/// All configuration problems found at startup.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigErrors(pub Vec<String>);

/// Redacts the password of a database or SMTP URL for logs.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(Settings::default().validate().is_ok());
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut settings = Settings::default();
        settings.server.public_url = "ftp://x".into();
        settings.master_key = Some(SecretString::from("short"));
        settings.log.format = "xml".into();
        let errors = settings.validate().unwrap_err();
        assert_eq!(errors.0.len(), 3, "{errors}");
        assert!(errors.to_string().contains("GATEHOUSE_MASTER_KEY"));
    }

    #[test]
    fn an_unset_public_url_follows_the_bound_port() {
        let mut settings = Settings::default();
        assert!(settings.validate().is_ok());
        settings.resolve_public_url(9000);
        assert_eq!(settings.public_url(), "http://localhost:9000");
        settings.resolve_public_url(9001);
        assert_eq!(settings.public_url(), "http://localhost:9000");
    }

    #[test]
    fn plain_http_is_insecure_off_this_machine_only() {
        let insecure = |url: &str| {
            let mut settings = Settings::default();
            settings.server.public_url = url.into();
            settings.public_url_is_insecure()
        };
        assert!(insecure("http://id.example.com"));
        assert!(insecure("http://10.0.0.5:8080"));
        assert!(!insecure("http://localhost:8080"));
        assert!(!insecure("http://127.0.0.1:8080"));
        assert!(!insecure("http://[::1]:8080"));
        assert!(!insecure("https://id.example.com"));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
    }
}
