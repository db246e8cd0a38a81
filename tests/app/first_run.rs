//! First run (issue 20): the real binary's `serve` on an empty data directory, read as a
//! newcomer reads it: the banner, the setup link, the console; the issuer follows the port;
//! admin commands stay quiet. The binary gets `DATABASE_URL` when the suite runs on PostgreSQL.
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{PASSWORD, TestDb, csrf_of, new_client, unique_email};

/// An installation: an empty data directory (and, on PostgreSQL, an empty database).
struct Install {
    data_dir: PathBuf,
    database_url: Option<String>,
    _db: TestDb,
}

impl Install {
    async fn new() -> Self {
        let db = TestDb::fresh().await;
        let database_url = db
            .url()
            .starts_with("postgres")
            .then(|| db.url().to_owned());
        Self {
            data_dir: db.data_dir(),
            database_url,
            _db: db,
        }
    }

    /// `gatehouse <args>` with nothing configured but the data directory (and database).
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .args(args)
            .env("GATEHOUSE_DATA_DIR", &self.data_dir)
            .env_remove("RUST_LOG")
            .env_remove("GATEHOUSE_SERVER__PUBLIC_URL")
            .env_remove("GATEHOUSE_LOG__FORMAT")
            .env_remove("GATEHOUSE_LOG__LEVEL")
            .kill_on_drop(true);
        match &self.database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        command
    }

    /// `gatehouse serve` with `env` (the port, the log format), once it printed its banner.
    async fn serve(&self, env: &[(&str, &str)]) -> Served {
        let mut command = self.command(&["serve"]);
        command
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("gatehouse starts");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut all = output.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let mut served = Served {
            child,
            output,
            issuer: String::new(),
        };
        let issuer = served.wait_for(r#"(?i)issuer\W+(https?://[^\s"]+)"#).await;
        served.wait_for("(?i)gatehouse is ready").await;
        served.issuer = issuer;
        served
    }

    /// The platform owners in the database.
    async fn owners(&self) -> Vec<String> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=ro",
                self.data_dir.join("gatehouse.db").display()
            ),
        };
        let db = sea_orm::Database::connect(url).await.expect("database");
        let owners = gatehouse::store::users::list(&db)
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.is_platform_owner)
            .map(|u| u.email)
            .collect();
        db.close().await.ok();
        owners
    }
}

/// A running `gatehouse serve` and everything it printed so far.
struct Served {
    child: tokio::process::Child,
    output: Arc<Mutex<String>>,
    /// From the banner.
    issuer: String,
}

impl Served {
    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits for `pattern` in the output; its first capture group (or the whole match).
    async fn wait_for(&mut self, pattern: &str) -> String {
        let re = regex::Regex::new(pattern).unwrap();
        // Generous: a fresh PostgreSQL database migrates slowly on a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            if let Some(found) = re.captures(&self.output()) {
                return found
                    .get(1)
                    .unwrap_or_else(|| found.get(0).unwrap())
                    .as_str()
                    .to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("gatehouse exited ({status}):\n{}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "no {pattern:?} in the output:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The one-time link the banner printed.
    async fn setup_link(&mut self) -> String {
        self.wait_for(r"(http://localhost:\d+/setup\?token=[A-Za-z0-9_-]{43})")
            .await
    }

    /// Stops it as Ctrl-C would (SIGTERM, a graceful shutdown), killing it if that hangs.
    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await.ok();
        }
    }
}

/// Opens the setup page in a new browser-like client: the client and the page's CSRF token.
async fn open_setup(link: &str) -> (reqwest::Client, String) {
    let client = new_client();
    let page = client.get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the setup page opens");
    let html = page.text().await.unwrap();
    assert!(html.contains("Set up Gatehouse"), "{html}");
    (client, csrf_of(&html))
}

async fn submit_setup(
    client: &reqwest::Client,
    issuer: &str,
    csrf: &str,
    token: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{issuer}/setup"))
        .form(&[
            ("csrf_token", csrf),
            ("token", token),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

fn token_of(link: &str) -> String {
    link.rsplit_once("token=").unwrap().1.to_owned()
}

#[tokio::test]
async fn serve_on_an_empty_directory_prints_a_banner_whose_setup_link_creates_the_owner_once() {
    // Arrange: what a person at a terminal sees (text logs).
    let install = Install::new().await;
    let mut served = install
        .serve(&[
            ("GATEHOUSE_SERVER__PORT", "0"),
            ("GATEHOUSE_LOG__FORMAT", "text"),
        ])
        .await;
    let link = served.setup_link().await;
    let output = served.output();
    assert!(
        regex::Regex::new(r"database ready, \d+ migrations applied")
            .unwrap()
            .is_match(&output),
        "{output}"
    );
    for noise in [
        "Applying",
        "Migration '",
        "No pending migrations",
        "starting service",
        "already exists, skipping",
    ] {
        assert!(
            !output.contains(noise),
            "{noise:?} in the output:\n{output}"
        );
    }
    assert!(
        output.contains(&format!(
            "Discovery:  {}/.well-known/openid-configuration",
            served.issuer
        )),
        "{output}"
    );
    assert!(
        output.contains("Mail:") && output.contains("outbox"),
        "{output}"
    );
    assert!(link.starts_with(&served.issuer));
    // Port 0: the issuer names the port actually bound, and discovery agrees.
    assert!(!served.issuer.ends_with(":0"));
    let discovery: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/openid-configuration",
        served.issuer
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(discovery["issuer"], served.issuer.as_str());

    // Act: the owner is created through the page.
    let (browser, csrf) = open_setup(&link).await;
    let email = unique_email();
    let created = submit_setup(
        &browser,
        &served.issuer,
        &csrf,
        &token_of(&link),
        &email,
        PASSWORD,
    )
    .await;

    // Assert: signed in, in the console.
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(created.headers()["location"], "/admin");
    let console = browser
        .get(format!("{}/admin", served.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::OK);
    assert!(console.text().await.unwrap().contains("Overview"));
    assert_eq!(install.owners().await, vec![email.clone()]);

    // The link works once: a clear 404 page, no second owner, GET or POST.
    let again = new_client().get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(again.text().await.unwrap().contains("already set up"));
    let resubmitted = submit_setup(
        &browser,
        &served.issuer,
        &csrf,
        &token_of(&link),
        &unique_email(),
        PASSWORD,
    )
    .await;
    assert_eq!(resubmitted.status(), StatusCode::NOT_FOUND);
    assert_eq!(install.owners().await, vec![email]);
    served.stop().await;

    // A restart with an owner prints no setup link.
    let served = install
        .serve(&[
            ("GATEHOUSE_SERVER__PORT", "0"),
            ("GATEHOUSE_LOG__FORMAT", "text"),
        ])
        .await;
    let output = served.output();
    assert!(!output.contains("/setup?token="), "{output}");
    assert!(output.contains("database ready"), "{output}");
    assert!(!output.contains("migrations applied"), "{output}");
    served.stop().await;
}

#[tokio::test]
async fn a_wrong_or_replaced_setup_link_gets_a_clear_page_and_creates_nothing() {
    // Arrange: two starts; each prints a new link and the first one stops working.
    let install = Install::new().await;
    let mut first = install.serve(&[("GATEHOUSE_SERVER__PORT", "0")]).await;
    let stale = first.setup_link().await;
    first.stop().await;
    let mut served = install.serve(&[("GATEHOUSE_SERVER__PORT", "0")]).await;
    let link = served.setup_link().await;
    assert_ne!(token_of(&stale), token_of(&link));
    let issuer = served.issuer.clone();
    let (browser, csrf) = open_setup(&link).await;

    // Act / Assert: the replaced, a wrong and a missing token get the same clear page.
    for token in [token_of(&stale), "wrong".to_owned(), String::new()] {
        let page = new_client()
            .get(format!("{issuer}/setup?token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("This setup link does not work")
        );
        let submitted =
            submit_setup(&browser, &issuer, &csrf, &token, &unique_email(), PASSWORD).await;
        assert_eq!(submitted.status(), StatusCode::BAD_REQUEST);
    }
    // Bad fields: the registration rules, what was typed kept (never the password).
    let typed = "not an address";
    let refused = submit_setup(&browser, &issuer, &csrf, &token_of(&link), typed, "short").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"value="not an address""#), "{html}");
    assert!(html.contains("at least 8 characters"), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#));
    // Without the CSRF token nothing happens either.
    let forged = submit_setup(
        &new_client(),
        &issuer,
        "",
        &token_of(&link),
        &unique_email(),
        PASSWORD,
    )
    .await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    assert!(install.owners().await.is_empty());
    // An address that already has an account: said next to the field; the link still works.
    let taken = unique_email();
    let existing = install
        .command(&["user", "create", "--email", &taken, "--json"])
        .output()
        .await
        .unwrap();
    assert!(
        existing.status.success(),
        "{}",
        String::from_utf8_lossy(&existing.stderr)
    );
    let clash = submit_setup(&browser, &issuer, &csrf, &token_of(&link), &taken, PASSWORD).await;
    assert_eq!(clash.status(), StatusCode::CONFLICT);
    assert!(clash.text().await.unwrap().contains("already exists"));
    assert!(install.owners().await.is_empty());
    // The current link still works after all that.
    let created = submit_setup(
        &browser,
        &issuer,
        &csrf,
        &token_of(&link),
        &unique_email(),
        PASSWORD,
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(install.owners().await.len(), 1);
    served.stop().await;
}

#[tokio::test]
async fn two_browsers_racing_with_one_setup_link_create_one_owner() {
    // Arrange
    let install = Install::new().await;
    let mut served = install.serve(&[("GATEHOUSE_SERVER__PORT", "0")]).await;
    let link = served.setup_link().await;
    let token = token_of(&link);
    let (first, first_csrf) = open_setup(&link).await;
    let (second, second_csrf) = open_setup(&link).await;
    let (first_email, second_email) = (unique_email(), unique_email());

    // Act
    let (a, b) = tokio::join!(
        submit_setup(
            &first,
            &served.issuer,
            &first_csrf,
            &token,
            &first_email,
            PASSWORD
        ),
        submit_setup(
            &second,
            &served.issuer,
            &second_csrf,
            &token,
            &second_email,
            PASSWORD
        ),
    );

    // Assert: one is signed in; the other is told the link no longer works.
    let statuses = [a.status(), b.status()];
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .any(|s| matches!(*s, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND)),
        "{statuses:?}"
    );
    let owners = install.owners().await;
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert!(owners[0] == first_email || owners[0] == second_email);
    served.stop().await;
}

#[tokio::test]
async fn with_only_a_port_set_discovery_names_that_port_and_logs_are_json_off_a_terminal() {
    // Arrange: a free port, chosen up front.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let install = Install::new().await;

    // Act
    let served = install
        .serve(&[("GATEHOUSE_SERVER__PORT", &port.to_string())])
        .await;

    // Assert
    let issuer = format!("http://localhost:{port}");
    assert_eq!(served.issuer, issuer);
    let discovery: serde_json::Value =
        reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["token_endpoint"],
        format!("{issuer}/token").as_str()
    );
    // Not a terminal: every line is a JSON log line, the banner one of them.
    let output = served.output();
    let lines: Vec<serde_json::Value> = output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let banner = lines
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("gatehouse is ready"))
        })
        .expect("the banner line");
    assert_eq!(banner["fields"]["issuer"], issuer.as_str());
    assert!(
        banner["fields"]["setup_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{issuer}/setup?token="))
    );
    served.stop().await;
}

#[tokio::test]
async fn serve_warns_about_an_issuer_other_machines_would_reach_over_plain_http() {
    // Arrange / Act: a plain-http public URL on another host.
    let install = Install::new().await;
    let served = install
        .serve(&[
            ("GATEHOUSE_SERVER__PORT", "0"),
            ("GATEHOUSE_SERVER__PUBLIC_URL", "http://id.example.com"),
        ])
        .await;

    // Assert
    assert_eq!(served.issuer, "http://id.example.com");
    let output = served.output();
    assert!(
        output.contains("plain http on a host other than this machine"),
        "{output}"
    );
    served.stop().await;

    // Unset, but listening on every interface: the localhost issuer only suits this machine.
    let served = install
        .serve(&[
            ("GATEHOUSE_SERVER__PORT", "0"),
            ("GATEHOUSE_SERVER__HOST", "0.0.0.0"),
        ])
        .await;
    let output = served.output();
    assert!(output.contains("server.public_url is unset"), "{output}");
    served.stop().await;

    // On this machine: no warning.
    let served = install.serve(&[("GATEHOUSE_SERVER__PORT", "0")]).await;
    assert!(
        !served.output().contains("server.public_url"),
        "{}",
        served.output()
    );
    served.stop().await;
}

#[tokio::test]
async fn admin_commands_print_their_result_and_at_most_one_migration_line() {
    // Arrange
    let install = Install::new().await;

    // Act: the first command migrates the empty database; the second finds nothing to do.
    let first = install
        .command(&["org", "list", "--json"])
        .output()
        .await
        .unwrap();
    let second = install
        .command(&["org", "list", "--json"])
        .output()
        .await
        .unwrap();

    // Assert
    for output in [&first, &second] {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("clean JSON on stdout");
        assert!(result.is_array(), "{result}");
    }
    let stderr = String::from_utf8_lossy(&first.stderr);
    let migration_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.to_lowercase().contains("migrat"))
        .collect();
    assert_eq!(migration_lines.len(), 1, "{stderr}");
    assert!(
        regex::Regex::new(r"database ready, \d+ migrations applied")
            .unwrap()
            .is_match(migration_lines[0]),
        "{stderr}"
    );
    for noise in [
        "Applying",
        "Migration '",
        "No pending",
        "Checking migration",
    ] {
        assert!(!stderr.contains(noise), "{noise:?}: {stderr}");
    }
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.trim().is_empty(),
        "a second command prints nothing else: {stderr}"
    );
}

fn screenshot_dir() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_opens_the_setup_link_in_a_browser_and_lands_in_the_console() {
    let install = Install::new().await;
    let mut served = install.serve(&[("GATEHOUSE_SERVER__PORT", "0")]).await;
    let link = served.setup_link().await;
    let email = unique_email();

    crate::browser::run_script(
        "first_run.mjs",
        vec![
            ("SETUP_URL", link),
            ("OWNER_EMAIL", email.clone()),
            ("OWNER_PASSWORD", PASSWORD.to_owned()),
            ("SCREENSHOT_DIR", screenshot_dir()),
        ],
    )
    .await;

    assert_eq!(install.owners().await, vec![email]);
    served.stop().await;
}
