//! Throwaway PostgreSQL databases, for tests and benchmarks: each gets a uniquely named
//! database, created through an administrator's URL and dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::StoreError;

/// A database created for one test or benchmark, dropped (with any connections still
/// open to it) by [`ScratchDatabase::drop_database`] or, failing that, when dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl ScratchDatabase {
    /// Creates a new, uniquely named database on the server of `admin_url` (a
    /// `postgres://` URL whose role may create databases).
    pub async fn create(admin_url: &str) -> Result<ScratchDatabase, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "sawt_scratch_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let url = with_database(admin_url, &name)?;
        let mut conn = PgConnection::connect(admin_url).await?;
        // The name is made of digits, lowercase letters and underscores only.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(ScratchDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
            dropped: false,
        })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_database(mut self) -> Result<(), StoreError> {
        self.dropped = true;
        drop_now(&self.admin_url, &self.name).await
    }
}

/// For tests that run on PostgreSQL too: a scratch database on the server of
/// `SAWT_TEST_POSTGRES_URL`, or `None` (with a note on stderr) when it is unset. Panics when
/// it is unset but `CI=true`: in CI the PostgreSQL tests must run, not skip.
pub async fn postgres_for_tests() -> Option<ScratchDatabase> {
    match std::env::var("SAWT_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(
            ScratchDatabase::create(&u)
                .await
                .expect("creating a scratch PostgreSQL database"),
        ),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true but SAWT_TEST_POSTGRES_URL is unset: run the tests through scripts/test"
            )
        }
        _ => {
            eprintln!("skipped: SAWT_TEST_POSTGRES_URL is unset (scripts/test sets it)");
            None
        }
    }
}

async fn drop_now(admin_url: &str, name: &str) -> Result<(), StoreError> {
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

impl Drop for ScratchDatabase {
    /// Best effort, for a test that panicked: drops the database from a thread of its own
    /// (this may run inside a runtime, which cannot block on itself).
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                let _ = rt.block_on(drop_now(&admin_url, &name));
            }
        })
        .join();
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> Result<String, StoreError> {
    let after_scheme = url.find("://").ok_or(StoreError::UnsupportedUrl)? + 3;
    let path = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after_scheme + i);
    let query = url[path..].find('?').map_or(url.len(), |i| path + i);
    Ok(format!("{}/{}{}", &url[..path], name, &url[query..]))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        let w = |u| with_database(u, "db").expect("url");
        assert_eq!(w("postgres://u@h:5/postgres"), "postgres://u@h:5/db");
        assert_eq!(w("postgres://u@h:5"), "postgres://u@h:5/db");
        assert_eq!(
            w("postgres://u@h/x?sslmode=disable"),
            "postgres://u@h/db?sslmode=disable"
        );
        assert_eq!(
            w("postgres://u@h?sslmode=disable"),
            "postgres://u@h/db?sslmode=disable"
        );
    }
}
