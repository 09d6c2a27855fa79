//! The end-to-end harness: the real `switchyard` binary in a real window under Xvfb,
//! driven through WebDriver (tauri-driver in front of Debian's WebKitWebDriver).

pub mod driver;
pub mod processes;
pub mod webdriver;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use driver::TauriDriver;
use webdriver::Session;

/// The real app in a home of its own (fresh data and config folders), driven through
/// WebDriver: the demo, or a given configuration.
pub struct Window {
    pub session: Session,
    driver: TauriDriver,
    home: tempfile::TempDir,
    /// How the app was launched, to launch it again the same way.
    args: Vec<String>,
    envs: Vec<(String, PathBuf)>,
}

impl Window {
    pub async fn demo() -> Result<Window> {
        Window::open(None, &[]).await
    }

    pub async fn with_config(toml: &str) -> Result<Window> {
        Window::open(Some(toml), &[]).await
    }

    /// With a configuration and extra environment for the app (paths).
    pub async fn with_config_and_env(toml: &str, env: &[(&str, &Path)]) -> Result<Window> {
        Window::open(Some(toml), env).await
    }

    async fn open(config: Option<&str>, env: &[(&str, &Path)]) -> Result<Window> {
        let home = tempfile::tempdir()?;
        let mut envs = vec![
            ("XDG_DATA_HOME".to_string(), home.path().join("data")),
            ("XDG_CONFIG_HOME".to_string(), home.path().join("config")),
        ];
        envs.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_path_buf())));
        let args = match config {
            None => vec!["--demo".to_string()],
            Some(toml) => {
                let path = home.path().join("switchyard.toml");
                std::fs::write(&path, toml)?;
                vec!["--config".to_string(), path.display().to_string()]
            }
        };
        Window::launch_in(home, args, envs).await
    }

    async fn launch_in(
        home: tempfile::TempDir,
        args: Vec<String>,
        envs: Vec<(String, PathBuf)>,
    ) -> Result<Window> {
        let app = app_binary()?;
        let driver_env: Vec<(&str, &Path)> = envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_path()))
            .collect();
        let driver = TauriDriver::start(&driver_env)?;
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let session = Session::launch(&driver.url(), &app, &argv).await?;
        Ok(Window {
            session,
            driver,
            home,
            args,
            envs,
        })
    }

    /// Closes the app and opens it again in the same home: the same history, the same
    /// configuration, the same webview storage — what an engineer gets on the next start.
    pub async fn restart(self) -> Result<Window> {
        let Window {
            session,
            mut driver,
            home,
            args,
            envs,
        } = self;
        session.close().await?;
        driver.app_closed();
        drop(driver);
        // The next launch would hand over to this one (one window per history) if it
        // were still shutting down: wait until no app process of this home is left.
        let data_home = home.path().join("data");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !app_processes_of(&data_home)?.is_empty() {
            if std::time::Instant::now() > deadline {
                bail!(
                    "the app of {} did not exit within 20 s",
                    home.path().display()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Window::launch_in(home, args, envs).await
    }

    /// Launches the app again as a user would (not through WebDriver), with the same
    /// arguments and home; returns how it exited, and how soon. Fails if it is still
    /// running after `patience` (then it is killed). Its output goes to
    /// `second-launch.log` in the home, quoted in the error.
    pub async fn launch_again(
        &self,
        patience: std::time::Duration,
    ) -> Result<(std::process::ExitStatus, std::time::Duration)> {
        let log_path = self.home.path().join("second-launch.log");
        let log = std::fs::File::create(&log_path)?;
        let mut child = tokio::process::Command::new(app_binary()?)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .env_remove("SWITCHYARD_CONFIG")
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        let started = std::time::Instant::now();
        match tokio::time::timeout(patience, child.wait()).await {
            Ok(status) => Ok((status?, started.elapsed())),
            Err(_) => {
                child.kill().await?;
                let output = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("the second launch was still running after {patience:?}; it said:\n{output}")
            }
        }
    }

    /// The app's home: `config/` is its `XDG_CONFIG_HOME`, `data/` its `XDG_DATA_HOME`.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Closes the app, then stops the driver, then removes the home.
    pub async fn close(self) -> Result<()> {
        let Window {
            session,
            mut driver,
            home,
            ..
        } = self;
        session.close().await?;
        driver.app_closed();
        drop(driver);
        drop(home);
        Ok(())
    }
}

/// A page script: the services on screen (the overview's tiles, or the compact list's
/// rows), each as `{name, age_ms}`, how old its value is in page time (`null` before
/// its first value). The windowed overview holds what is on screen and a screenful
/// around it, so this is what an engineer sees or is one scroll from seeing.
pub const ON_SCREEN_AGES: &str = "const now = Date.now();
    return Array.from(document.querySelectorAll('article[data-service], [data-list-service]')).map(e => ({
      name: e.dataset.service ?? e.dataset.listService,
      age_ms: e.dataset.observedAt ? now - Date.parse(e.dataset.observedAt) : null }));";

/// The `switchyard` binary under test: `$SWITCHYARD_BIN`, or the one cargo built next to
/// this test binary (`make test` builds it first).
pub fn app_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SWITCHYARD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let test_exe = std::env::current_exe()?;
    // target/<profile>/deps/e2e-<hash> → target/<profile>/switchyard
    let candidate = test_exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("switchyard"));
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        _ => bail!("the switchyard binary is not built: run `cargo build -p switchyard-app` (make test does) or set SWITCHYARD_BIN"),
    }
}

/// The PIDs of running `switchyard` processes whose `XDG_DATA_HOME` is `data_home`.
fn app_processes_of(data_home: &Path) -> Result<Vec<u32>> {
    let app = app_binary()?;
    let wanted = format!("XDG_DATA_HOME={}", data_home.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // A process may end while it is read: then it is not running.
        let same_binary = std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == app);
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if same_binary
            && environ
                .split(|b| *b == 0)
                .any(|var| var == wanted.as_bytes())
        {
            found.push(pid);
        }
    }
    Ok(found)
}

/// The names of the X windows on the display: the native window title, which WebDriver
/// cannot see (it reads the page's `document.title`).
pub fn x_window_names() -> Result<Vec<String>> {
    let output = std::process::Command::new("xwininfo")
        .args(["-root", "-tree"])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let start = line.find('"')?;
            let end = line[start + 1..].find('"')?;
            Some(line[start + 1..start + 1 + end].to_string())
        })
        .collect())
}

/// Where the repository's `docs/` folder is, for the screenshot the README shows.
pub fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}
