//! A real Secret Service for the tests that need the OS keyring: GNOME Keyring as a
//! child process on the test's session bus (run the tests under `dbus-run-session`, as
//! `make test` does), with an unlocked login keyring in a temporary folder, stopped
//! when dropped. Also locks and unlocks its collections, as a screen lock would.

use std::io;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// The password of the test's login keyring.
const PASSWORD: &[u8] = b"switchyard-test";

/// The running daemon; dropping it stops it.
pub struct TestKeyring {
    _daemon: Child,
    _home: tempfile::TempDir,
}

impl TestKeyring {
    /// Starts the daemon and waits until its default collection exists.
    pub async fn start() -> io::Result<TestKeyring> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err(io::Error::other(
                "no session bus: run the tests under dbus-run-session (make test does)",
            ));
        }
        let home = tempfile::tempdir()?;
        // The login keyring --unlock creates is the default one, as on a desktop.
        std::fs::create_dir_all(home.path().join("keyrings"))?;
        std::fs::write(home.path().join("keyrings").join("default"), "login")?;
        let mut daemon = Command::new("gnome-keyring-daemon")
            // --replace: in a whole `cargo test --workspace` run, something asked for
            // the Secret Service earlier and D-Bus activation started the system's
            // daemon (no unlocked login keyring) on this bus; ours takes the name over.
            .args([
                "--foreground",
                "--replace",
                "--unlock",
                "--components=secrets",
            ])
            .env("XDG_DATA_HOME", home.path())
            .env("XDG_RUNTIME_DIR", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "gnome-keyring-daemon: {e} (scripts/install-system-deps.sh installs it)"
                    ),
                )
            })?;
        // --unlock reads the new login keyring's password from stdin (an empty one
        // creates no keyring).
        let mut stdin = daemon
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        stdin.write_all(PASSWORD).await?;
        stdin.shutdown().await?;
        drop(stdin);
        // Ready once it owns the Secret Service's name on the session bus.
        let ready = Command::new("gdbus")
            .args([
                "wait",
                "--session",
                "--timeout",
                "15",
                "org.freedesktop.secrets",
            ])
            .status()
            .await?;
        if !ready.success() {
            return Err(io::Error::other(
                "gnome-keyring-daemon did not take the Secret Service name within 15 s",
            ));
        }
        // Owning the name comes before the login keyring exists: a secret stored in
        // between has no default collection to go to (seen on a loaded machine). Ready
        // once the `default` alias names a collection.
        let started = Instant::now();
        loop {
            let answer =
                secret_service(&["org.freedesktop.Secret.Service.ReadAlias", "default"]).await?;
            if answer.contains("/collection/") {
                break;
            }
            if started.elapsed() > Duration::from_secs(15) {
                return Err(io::Error::other(format!(
                    "the test keyring has no default collection after 15 s: {answer}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(TestKeyring {
            _daemon: daemon,
            _home: home,
        })
    }

    /// Locks the login keyring, as a screen lock does: its secrets cannot be read
    /// until it is unlocked again.
    pub async fn lock(&self) -> io::Result<()> {
        secret_service(&[
            "org.freedesktop.Secret.Service.Lock",
            "['/org/freedesktop/secrets/collection/login']",
        ])
        .await
        .map(|_| ())
    }
}

/// Calls a method of the Secret Service's root object; its answer as gdbus prints it.
async fn secret_service(method_and_args: &[&str]) -> io::Result<String> {
    let mut args = vec![
        "call",
        "--session",
        "--dest",
        "org.freedesktop.secrets",
        "--object-path",
        "/org/freedesktop/secrets",
        "--method",
    ];
    args.extend_from_slice(method_and_args);
    let output = Command::new("gdbus").args(&args).output().await?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(io::Error::other(format!(
            "gdbus {}: {}",
            method_and_args[0],
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}
