//! The team's engines, for real, on loopback: Prometheus, Alertmanager and
//! VictoriaMetrics (Debian's packages) started as child processes of a test, each with
//! its own temporary folder and a free port, and stopped when the handle is dropped.
//!
//! Tests of the engine readers talk to these real processes rather than to recorded
//! answers, so a misread of the query API fails a test. `scripts/install-system-deps.sh`
//! installs the packages; a missing binary is an error that says so.
//!
//! Ready is not scraped: both Prometheus and VictoriaMetrics take their first scrape
//! about 5 s after start (target discovery publishes on a 5 s tick), so a test starts
//! its engines together (`tokio::join!`) and awaits the data it needs, never a sleep.

use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long an engine may take to answer its ready URL (each was ready in about 0.2 s
/// on an idle machine; a loaded CI machine gets a wide margin).
const READY_DEADLINE: Duration = Duration::from_secs(30);

/// Which engine a handle runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Prometheus,
    Alertmanager,
    VictoriaMetrics,
}

impl EngineKind {
    fn binary(self) -> &'static str {
        match self {
            EngineKind::Prometheus => "prometheus",
            EngineKind::Alertmanager => "prometheus-alertmanager",
            EngineKind::VictoriaMetrics => "victoria-metrics",
        }
    }

    fn ready_path(self) -> &'static str {
        match self {
            EngineKind::VictoriaMetrics => "/health",
            EngineKind::Prometheus | EngineKind::Alertmanager => "/-/ready",
        }
    }
}

/// One running engine. Dropping it kills the process and removes its folder.
pub struct LoopbackEngine {
    kind: EngineKind,
    url: String,
    folder: tempfile::TempDir,
    // Held for `kill_on_drop`.
    _child: Child,
}

/// One scrape job of a Prometheus (or VictoriaMetrics) configuration.
#[derive(Debug, Clone)]
pub struct ScrapeJob {
    /// The `job` label its series carry.
    pub job: String,
    /// `host:port` of every target.
    pub targets: Vec<String>,
    pub metrics_path: String,
}

/// A scrape configuration: jobs scraped every `interval`, rules evaluated as often,
/// alerts sent to `alertmanager` (a URL) when given.
#[derive(Debug, Clone)]
pub struct ScrapeSetup {
    pub interval: Duration,
    pub jobs: Vec<ScrapeJob>,
    /// The text of one rule file (Prometheus only), or none.
    pub rules: Option<String>,
    pub alertmanager: Option<String>,
}

impl ScrapeSetup {
    /// The YAML Prometheus reads; `rule_file` is where the rules were written.
    fn to_yaml(&self, rule_file: Option<&Path>) -> String {
        // Prometheus durations take whole units: milliseconds keep sub-second intervals.
        let millis = self.interval.as_millis().max(1);
        let mut yaml =
            format!("global:\n  scrape_interval: {millis}ms\n  evaluation_interval: {millis}ms\n");
        if let Some(path) = rule_file {
            let _ = writeln!(yaml, "rule_files:\n  - '{}'", path.display());
        }
        if let Some(url) = &self.alertmanager {
            let target = url.trim_start_matches("http://").trim_end_matches('/');
            let _ = writeln!(
                yaml,
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{target}']"
            );
        }
        yaml.push_str("scrape_configs:\n");
        for job in &self.jobs {
            let targets = job
                .targets
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                yaml,
                "  - job_name: '{}'\n    metrics_path: '{}'\n    static_configs:\n      - targets: [{targets}]",
                job.job, job.metrics_path
            );
        }
        yaml
    }
}

/// Alertmanager's configuration for tests: one receiver that sends nowhere, alerts
/// grouped per alert and passed on at once.
const ALERTMANAGER_CONFIG: &str = "route:\n  receiver: nowhere\n  group_by: ['...']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: nowhere\n";

impl LoopbackEngine {
    /// A Prometheus scraping `setup`'s jobs.
    pub async fn prometheus(setup: &ScrapeSetup) -> io::Result<Self> {
        let folder = tempfile::tempdir()?;
        let rule_file = match &setup.rules {
            Some(rules) => {
                let path = folder.path().join("rules.yml");
                std::fs::write(&path, rules)?;
                Some(path)
            }
            None => None,
        };
        let config = folder.path().join("prometheus.yml");
        std::fs::write(&config, setup.to_yaml(rule_file.as_deref()))?;
        let data = folder.path().join("data");
        let port = free_port()?;
        let args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", data.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--web.enable-admin-api".to_owned(),
            "--web.enable-lifecycle".to_owned(),
        ];
        Self::start(EngineKind::Prometheus, folder, port, args).await
    }

    /// An Alertmanager with gossip off and a receiver that sends nowhere.
    pub async fn alertmanager() -> io::Result<Self> {
        let folder = tempfile::tempdir()?;
        let config = folder.path().join("alertmanager.yml");
        std::fs::write(&config, ALERTMANAGER_CONFIG)?;
        let port = free_port()?;
        let args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", folder.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            // Empty: no cluster gossip (it would bind 9094).
            "--cluster.listen-address=".to_owned(),
        ];
        Self::start(EngineKind::Alertmanager, folder, port, args).await
    }

    /// A single-node VictoriaMetrics, scraping `setup`'s jobs when given. Points are
    /// visible at once (`-search.latencyOffset=0s`; the default hides the last 30 s).
    pub async fn victoria_metrics(setup: Option<&ScrapeSetup>) -> io::Result<Self> {
        let folder = tempfile::tempdir()?;
        let port = free_port()?;
        let mut args = vec![
            format!("-storageDataPath={}", folder.path().join("data").display()),
            format!("-httpListenAddr=127.0.0.1:{port}"),
            "-search.latencyOffset=0s".to_owned(),
            // Tests ask again and again while data arrives: no cached answers.
            "-search.disableCache".to_owned(),
        ];
        if let Some(setup) = setup {
            let config = folder.path().join("scrape.yml");
            std::fs::write(&config, setup.to_yaml(None))?;
            args.push(format!("-promscrape.config={}", config.display()));
            // The shared YAML carries Prometheus-only keys (evaluation_interval).
            args.push("-promscrape.config.strictParse=false".to_owned());
        }
        Self::start(EngineKind::VictoriaMetrics, folder, port, args).await
    }

    async fn start(
        kind: EngineKind,
        folder: tempfile::TempDir,
        port: u16,
        args: Vec<String>,
    ) -> io::Result<Self> {
        let log = std::fs::File::create(folder.path().join("engine.log"))?;
        let mut child = Command::new(kind.binary())
            .args(&args)
            .current_dir(folder.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot start {}: {e} (scripts/install-system-deps.sh installs it)",
                        kind.binary()
                    ),
                )
            })?;
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if http_status(port, kind.ready_path()).await == Some(200) {
                break;
            }
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "{} exited ({status}) before it was ready: {}",
                    kind.binary(),
                    read_log(folder.path())
                )));
            }
            if started.elapsed() > READY_DEADLINE {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} not ready after {READY_DEADLINE:?}: {}",
                        kind.binary(),
                        read_log(folder.path())
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(Self {
            kind,
            url,
            folder,
            _child: child,
        })
    }

    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The engine's temporary folder (its configuration, data and `engine.log`).
    pub fn folder(&self) -> PathBuf {
        self.folder.path().to_path_buf()
    }

    /// What the engine has logged so far, for a failing test's message.
    pub fn log(&self) -> String {
        read_log(self.folder.path())
    }
}

fn read_log(folder: &Path) -> String {
    std::fs::read_to_string(folder.join("engine.log")).unwrap_or_default()
}

/// A port free on loopback now. Another process could take it before the engine
/// binds it; the engine then exits and the test says why.
fn free_port() -> io::Result<u16> {
    Ok(StdListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// The status code of `GET path` on loopback, or none when nothing answers yet. A
/// hand-written HTTP/1.0 request: this crate has no HTTP client, and the ready URLs
/// need nothing more.
async fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
