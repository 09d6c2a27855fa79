//! tauri-driver as a child process on free loopback ports, ready once it and the
//! WebKitWebDriver behind it listen; stopped with SIGTERM so that
//! the WebKitWebDriver it starts goes with it (SIGKILL would orphan it).

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub struct TauriDriver {
    child: Child,
    pub port: u16,
    /// Whether the app's session was closed, so the app is on its way out by itself.
    app_closed: bool,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl TauriDriver {
    /// Starts tauri-driver with the given environment (inherited by the app it launches)
    /// and waits until it accepts connections.
    pub fn start(envs: &[(&str, &Path)]) -> Result<TauriDriver> {
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no DISPLAY: run the end-to-end tests under Xvfb (make test does)");
        }
        let port = free_port()?;
        let native_port = free_port()?;
        let mut command = Command::new("tauri-driver");
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env_remove("SWITCHYARD_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .context("cannot start tauri-driver: install it with `cargo install tauri-driver --locked` (make test does)")?;
        let mut driver = TauriDriver {
            child,
            port,
            app_closed: false,
        };
        // tauri-driver serves at once but forwards every request to the WebKitWebDriver
        // it has just spawned; a session asked for before that one listens is dropped
        // ("connection closed before message completed"). So wait for both.
        driver.wait_until_listening(port, "tauri-driver")?;
        driver.wait_until_listening(native_port, "WebKitWebDriver (through tauri-driver)")?;
        Ok(driver)
    }

    fn wait_until_listening(&mut self, port: u16, what: &str) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = self.child.try_wait()? {
                bail!("tauri-driver exited before {what} listened: {status}");
            }
            if Instant::now() > deadline {
                bail!("{what} did not listen on 127.0.0.1:{port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Says the app's session was closed: the app is shutting down by itself (flushing
    /// its history), and stopping the driver must leave it to finish.
    pub fn app_closed(&mut self) {
        self.app_closed = true;
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // A test that failed before closing its session leaves the app running under
        // WebKitWebDriver, and the driver's end does not take it along: it would go on
        // polling (and using CPU) through the rest of the run. So note the driver's
        // descendants now and end the ones still there once the driver has gone.
        let left_behind = if self.app_closed {
            Vec::new()
        } else {
            crate::processes::descendants_of(self.child.id())
        };
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut ended = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                ended = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !ended {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for (pid, start) in left_behind {
            if crate::processes::still_running(pid, start) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}
