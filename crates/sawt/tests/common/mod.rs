//! What the loopback tests of the binary share: a child process killed on drop, the real
//! clock, key files, a free port, and waiting for a server.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A child process, killed when dropped.
pub(crate) struct Child(pub(crate) std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real clock, ms since the epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Sleeps until `t` by the real clock.
pub(crate) async fn sleep_until(t: u64) {
    let now = now_ms();
    if t > now {
        tokio::time::sleep(Duration::from_millis(t - now)).await;
    }
}

/// A key file holding the seed `[seed; 32]` in hexadecimal, in `d`.
pub(crate) fn key_file(d: &Path, seed: u8) -> PathBuf {
    let p = d.join(format!("key-{seed}"));
    std::fs::write(&p, hex::encode([seed; 32])).unwrap();
    p
}

/// A free port on loopback.
pub(crate) fn port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `base` answers `/readyz`.
pub(crate) async fn wait_up(base: &str) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not start");
}

/// `GET url` as JSON.
pub(crate) async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The standard output of a command that must succeed (else its output, in the panic).
pub(crate) fn stdout_of(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}
