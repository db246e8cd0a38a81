use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::auth::password::PasswordHasher;
use crate::config::{Settings, redact_url};
use crate::keys::{KeyStore, MasterKey};
use crate::mail::Mailer;
use crate::rate_limit::RateLimits;
use crate::state::AppState;
use crate::store::instance_meta;

const MASTER_KEY_FINGERPRINT: &str = "master_key_fingerprint";

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and wires everything.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener =
            TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
        Self::build_with_listener(settings, listener).await
    }

    /// With `server.public_url` unset, the issuer names the listener's port.
    pub async fn build_with_listener(
        mut settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        settings.resolve_public_url(port);
        let state = prepare(settings).await?;
        state
            .mailer
            .clone()
            .spawn_worker(state.db.clone(), state.metrics.clone());
        spawn_housekeeping(state.clone());
        spawn_memory_release();
        crate::admin::spawn_listener(state.clone()).await;
        let data = web::Data::new(state.clone());
        let workers = state
            .settings
            .server
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let federation = crate::web::pages::providers::SessionCookie::new(&state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(from_fn(crate::web::locale::negotiate))
                .wrap(from_fn(crate::web::csrf::set_csrf_cookie))
                .wrap(from_fn(crate::web::middleware::security_headers))
                .wrap(from_fn(crate::web::middleware::record_metrics))
                .wrap(from_fn(crate::web::middleware::request_context))
                .configure(|cfg| crate::web::routes(cfg, &federation))
        })
        .listen(listener)?
        .workers(workers)
        .shutdown_timeout(10)
        .run();
        tracing::info!(port, issuer = %state.settings.public_url(), mail = %state.mailer.describe(), "gatehouse is listening");
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops the server as SIGTERM does (graceful: see [`Application::run_until_stopped`]).
    pub fn stopper(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until SIGINT/SIGTERM (or [`Application::stopper`]), then shuts down gracefully:
    /// no new connections, in-flight requests finish (up to 10 s), and the mail worker stops
    /// taking mail and returns what it claimed but did not send to the queue.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.state.mailer.stop().await;
        tracing::info!("gatehouse stopped");
        served
    }
}

/// Validates settings, opens and migrates the database, checks the master key and loads keys.
/// An unset `server.public_url` becomes `http://localhost:<server.port>` (the server resolves it
/// from the bound port first).
pub async fn prepare(mut settings: Settings) -> anyhow::Result<AppState> {
    settings.resolve_public_url(settings.server.port);
    settings.validate()?;
    let db = open_database(&settings).await?;
    let master = load_master_key(&settings, &db).await?;
    // Instances starting together on an empty database take turns creating it.
    let txn = crate::store::begin(&db).await?;
    crate::store::advisory_xact_lock(&txn, crate::store::INIT_LOCK).await?;
    crate::auth::first_party::ensure_builtin_service(&txn).await?;
    txn.commit().await?;
    let keys = KeyStore::load_or_init(&db, master.clone(), settings.keys.rsa_bits).await?;
    let passwords = PasswordHasher::new(&settings.password)?;
    let mailer = Mailer::new(&settings, master.clone())?;
    let shared = crate::rate_limit::SharedCounters::connect(&settings.rate_limit, &db).await?;
    let limits = RateLimits::with_shared(&settings.rate_limit, shared);
    let header = crate::domain::ProxyHeader::parse(&settings.server.proxy_header)
        .ok_or_else(|| anyhow::anyhow!("server.proxy_header: unknown header"))?;
    let proxies = crate::domain::TrustedProxies::parse(&settings.server.trusted_proxies, header)
        .map_err(|bad| anyhow::anyhow!("server.trusted_proxies: cannot parse {bad:?}"))?;
    let discovery = crate::oidc::discovery::document(&settings);
    let webauthn = crate::auth::passkeys::relying_party(&settings).map(Arc::new);
    let revoked = Arc::new(crate::oidc::revoked_set::RevokedSet::load(&db).await?);
    let writer = crate::store::writer(&settings.database_url(), &db).await?;
    Ok(AppState {
        revoked,
        webauthn,
        db,
        writer,
        master,
        keys: Arc::new(keys),
        mailer,
        passwords: Arc::new(passwords),
        clients: Arc::new(crate::oidc::clients::Clients::new(Duration::from_secs(30))),
        limits: Arc::new(limits),
        proxies: Arc::new(proxies),
        discovery,
        metrics: Arc::default(),
        settings: Arc::new(settings),
    })
}

/// Connects (creating the data directory for the embedded SQLite) and runs migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if settings.database.url.is_none() {
        crate::private_fs::create_private_dir(&settings.data_dir).with_context(|| {
            format!(
                "cannot create data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let sqlite_file = crate::private_fs::sqlite_file(&url);
    if let Some(file) = &sqlite_file {
        crate::private_fs::precreate_private_file(file)
            .with_context(|| format!("cannot create the database file {}", file.display()))?;
    }
    let db = crate::store::connect(&url, settings.database.pool_size(&url))
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact_url(&url)))?;
    let applied = crate::store::migrate(&db)
        .await
        .context("database migration failed")?;
    if applied > 0 {
        let plural = if applied == 1 { "" } else { "s" };
        tracing::info!(target: crate::telemetry::MIGRATIONS_TARGET, "database ready, {applied} migration{plural} applied");
    } else {
        tracing::info!("database ready");
    }
    // Also tightens a database created by an older version, and its WAL and shared memory.
    if let Some(file) = &sqlite_file {
        for path in crate::private_fs::sqlite_files(file) {
            crate::private_fs::restrict_file(&path)
                .with_context(|| format!("cannot restrict {} to mode 0600", path.display()))?;
        }
    }
    Ok(db)
}

/// `GATEHOUSE_MASTER_KEY`, or `<data_dir>/master.key` (created once, mode 0600). The stored
/// fingerprint makes a changed key fail loudly instead of silently breaking every sealed secret.
pub async fn load_master_key(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<MasterKey> {
    let key = match &settings.master_key {
        Some(encoded) => MasterKey::from_base64(encoded.expose_secret())?,
        None => load_or_create_key_file(&settings.data_dir.join("master.key"))?,
    };
    // Insert-if-absent then re-read: two instances starting at once cannot both win.
    instance_meta::insert_if_absent(db, MASTER_KEY_FINGERPRINT, &key.fingerprint()).await?;
    if instance_meta::find(db, MASTER_KEY_FINGERPRINT)
        .await?
        .as_deref()
        != Some(key.fingerprint().as_str())
    {
        anyhow::bail!(
            "the master key does not match the one this database was created with. \
             Restore the original key (GATEHOUSE_MASTER_KEY or {}/master.key); \
             signing keys and other sealed secrets cannot be opened without it",
            settings.data_dir.display()
        );
    }
    Ok(key)
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    if path.exists() {
        let encoded = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return MasterKey::from_base64(&encoded)
            .with_context(|| format!("{} does not hold a valid master key", path.display()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_fs::create_private_dir(dir)?;
    }
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    std::io::Write::write_all(&mut file, key.to_base64().as_bytes())?;
    tracing::warn!(path = %path.display(), "generated a new master key: back it up, it seals every signing key");
    Ok(key)
}

/// Periodic upkeep on every instance: pick up keys rotated elsewhere, promote due keys, drop
/// idle rate-limit keys, audit rate-limit refusals once a minute, and delete expired rows and
/// old mail every ten minutes (`housekeeping`).
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        // The first round runs once the server's workers have started, so the startup work's
        // freed memory and the code pages it touched are returned with it.
        let first = tokio::time::Instant::now() + Duration::from_secs(1);
        let mut tick = tokio::time::interval_at(first, Duration::from_secs(10));
        let mut rounds: u64 = 0;
        loop {
            tick.tick().await;
            rounds += 1;
            if let Err(e) = rotate_keys(&state).await {
                tracing::warn!(error = %e, "signing key upkeep failed");
            }
            if rounds == 1 {
                crate::housekeeping::memory::release_free_memory();
                crate::housekeeping::memory::release_code_pages();
            }
            if rounds.is_multiple_of(6) {
                crate::housekeeping::memory::release_free_memory();
                state.limits.retain_recent();
                if let Err(e) =
                    crate::housekeeping::audit_refusals(&state, Duration::from_secs(60)).await
                {
                    tracing::warn!(error = %e, "could not audit rate-limit refusals");
                }
            }
            if rounds.is_multiple_of(60)
                && let Err(e) = crate::housekeeping::prune_expired(&state).await
            {
                tracing::warn!(error = %e, "could not delete expired rows");
            }
        }
    });
}

/// Returns what a burst of work (a sign-in flood, a token storm) left mapped and free, a few
/// seconds after it ends, so an instance goes back to near its idle size.
fn spawn_memory_release() {
    use crate::housekeeping::memory::{
        BurstWatch, process_cpu_time, release_code_pages, release_free_memory,
    };
    let Some(start) = process_cpu_time() else {
        return;
    };
    tokio::spawn(async move {
        let mut watch = BurstWatch::new(start);
        let mut tick = tokio::time::interval(BurstWatch::PERIOD);
        loop {
            tick.tick().await;
            if let Some(cpu) = process_cpu_time()
                && watch.burst_ended(cpu)
            {
                release_free_memory();
                release_code_pages();
            }
        }
    });
}

async fn rotate_keys(state: &AppState) -> anyhow::Result<()> {
    if !state
        .keys
        .promote_due(&state.db, retired_key_lifetime(state).await?)
        .await?
    {
        state.keys.reload(&state.db).await?;
    }
    Ok(())
}

/// A retired key stays published as long as a token it signed may live, plus one JWKS cache
/// period.
pub async fn retired_key_lifetime(state: &AppState) -> anyhow::Result<chrono::Duration> {
    let longest = crate::store::services::list(&state.db, None)
        .await?
        .iter()
        .map(|s| s.access_token_ttl_secs.max(s.id_token_ttl_secs))
        .max()
        .unwrap_or(900);
    Ok(chrono::Duration::seconds(
        i64::from(longest) + i64::from(state.settings.keys.jwks_max_age_secs),
    ))
}
