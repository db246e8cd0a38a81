//! A fresh database per test: a SQLite file in a temp dir, or, when DATABASE_URL points at
//! PostgreSQL, a new database on that server (dropped afterwards).
use sea_orm::{ConnectionTrait, Database};

pub struct TestDb {
    url: String,
    admin_url: Option<String>,
    name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .expect("DATABASE_URL has a database name");
                Self {
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin_url),
                    name: Some(name),
                    _dir: dir,
                }
            }
            _ => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("gatehouse.db").display()
                );
                Self {
                    url,
                    admin_url: None,
                    name: None,
                    _dir: dir,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("data")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (Some(admin_url), Some(name)) = (self.admin_url.clone(), self.name.clone()) else {
            return;
        };
        // Async drop is not possible: use a short-lived runtime on another thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
