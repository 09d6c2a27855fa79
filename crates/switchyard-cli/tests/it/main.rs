//! The real `switchyard-cli` binary against the real simulated fleet.

use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchyard_core::store::Store;
use switchyard_fleet::{Fleet, FleetSpec, Script, ServiceSpec};

mod fleet_engines;
mod instances;
mod saved_rules;
mod team_alerts;

fn cli(args: &[&str]) -> Output {
    cli_without(args, &[])
}

/// The CLI with `unset` (and `SWITCHYARD_CONFIG`) removed from its environment.
fn cli_without(args: &[&str], unset: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchyard-cli"));
    command.args(args).env_remove("SWITCHYARD_CONFIG");
    for key in unset {
        command.env_remove(key);
    }
    command.output().expect("the CLI runs")
}

async fn one_service_fleet() -> Fleet {
    Fleet::start(FleetSpec {
        services: vec![ServiceSpec {
            name: "orders".into(),
            tags: vec![],
            script: Script::steady(),
        }],
    })
    .await
    .expect("fleet starts")
}

#[tokio::test]
async fn probe_prints_the_normalised_observation() {
    let fleet = one_service_fleet().await;
    let url = fleet.services()[0].base_url.clone();
    let output =
        tokio::task::spawn_blocking(move || cli(&["probe", &url, "--profile", "health-contract"]))
            .await
            .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["profile"], "health-contract");
    assert_eq!(json["reachability"]["kind"], "reachable");
    assert!(json["reachability"]["latency_ms"].as_f64().is_some());
    assert_eq!(json["health"]["status"], "ok");
    assert_eq!(json["health"]["version"], "1.0.0");
    let deps = json["health"]["dependencies"].as_array().unwrap();
    assert!(deps
        .iter()
        .any(|d| d["name"] == "postgres" && d["slow"] == false));
    assert!(json["samples"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["series"] == "metrics.orders_executed_total"));
    // Absent values are omitted, not null (docs/contracts.md).
    assert!(json.get("breakers").is_none());
    fleet.shutdown().await;
}

#[test]
fn probe_of_a_closed_port_says_refused_and_fails() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = cli(&[
        "probe",
        &format!("http://127.0.0.1:{port}"),
        "--profile",
        "health-contract",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["reachability"]["kind"], "refused");
    assert!(json["reachability"]["message"]
        .as_str()
        .unwrap()
        .contains("connection refused"));
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let output = cli(&["probe", "http://127.0.0.1:1", "--profile", "nagios"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("known: health-contract"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[service]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:1\"\nprofile = \"health-contract\"\ntimeuot = \"1s\"\n").unwrap();
    let output = cli(&[
        "watch",
        "--config",
        bad.to_str().unwrap(),
        "--db",
        dir.path().join("h.db").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.toml:5"), "{stderr}");
    assert!(stderr.contains("did you mean `timeout`"), "{stderr}");
}

/// Runs `switchyard-cli watch` for 1.5 s and expects a clean exit; returns its stderr.
async fn watch_for_1500ms(config: &std::path::Path, db: &std::path::Path) -> String {
    let (config_arg, db_arg) = (config.display().to_string(), db.display().to_string());
    let output = tokio::task::spawn_blocking(move || {
        cli(&[
            "watch",
            "--config",
            &config_arg,
            "--db",
            &db_arg,
            "--duration",
            "1500ms",
        ])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    stderr.into_owned()
}

#[tokio::test]
async fn watch_collects_into_the_database() {
    let fleet = one_service_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fleet.toml");
    std::fs::write(&config, fleet.config_toml("200ms", "150ms")).unwrap();
    let db = dir.path().join("history.db");
    let stderr = watch_for_1500ms(&config, &db).await;
    assert!(stderr.contains("observations written"), "{stderr}");

    let store = Store::open(&db).await.unwrap();
    let rows = store
        .health_history("orders", DateTime::<Utc>::MIN_UTC)
        .await
        .unwrap();
    // 1.5 s at a 200 ms interval (±10 % jitter) is about seven rounds; at least a few
    // must have landed, each reachable and ok.
    assert!(rows.len() >= 3, "only {} rows", rows.len());
    assert!(rows
        .iter()
        .all(|r| r.reachability == "reachable" && r.status.as_deref() == Some("ok")));
    store.close().await;
    fleet.shutdown().await;
}

#[test]
fn check_config_resolves_references_without_printing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        "[[service]]\nname = \"events\"\nbase_url = \"http://127.0.0.1:1\"\nprofile = \"health-levels\"\n\
         headers = { \"X-Internal-Key\" = \"env:SWITCHYARD_IT_EVENTS_KEY\" }\n",
    )
    .unwrap();
    let check = |value: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchyard-cli"));
        command.args(["check-config", file.to_str().unwrap()]);
        match value {
            Some(v) => command.env("SWITCHYARD_IT_EVENTS_KEY", v),
            None => command.env_remove("SWITCHYARD_IT_EVENTS_KEY"),
        };
        command.output().expect("the CLI runs")
    };

    let resolved = check(Some("canary-check-config-91"));
    let stdout = String::from_utf8_lossy(&resolved.stdout);
    assert_eq!(resolved.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("X-Internal-Key = env:SWITCHYARD_IT_EVENTS_KEY: resolves"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("canary") && !String::from_utf8_lossy(&resolved.stderr).contains("canary")
    );

    let missing = check(None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout)
        .contains("environment variable SWITCHYARD_IT_EVENTS_KEY is not set"));
}

/// A history database with one series, `orders`/`queue.depth`, one point a minute for
/// the last hour (values 1 to 60), written through the real store writer.
async fn history_db(dir: &std::path::Path) -> (std::path::PathBuf, Vec<(i64, f64)>) {
    use switchyard_core::model::{Observation, Sample};
    let path = dir.join("history.db");
    let store = Store::open(&path).await.unwrap();
    let writer = store.start_writer();
    // Half a minute off the minute marks, so a window of whole minutes from the
    // CLI's own "now" (a few seconds later) holds a known number of points.
    let now = Utc::now().timestamp_millis();
    let mut points = Vec::new();
    for i in 1..=60i64 {
        let t = now - (60 - i) * 60_000 - 30_000;
        points.push((t, i as f64));
        let mut o: Observation = serde_json::from_value(serde_json::json!({
            "service": "orders",
            "profile": "health-contract",
            "observed_at": DateTime::<Utc>::from_timestamp_millis(t).unwrap(),
            "reachability": { "kind": "reachable", "latency_ms": 1.0 },
        }))
        .unwrap();
        o.samples = vec![Sample {
            series: "queue.depth".into(),
            value: i as f64,
        }];
        writer.record(o);
    }
    writer.finish().await;
    store.close().await;
    (path, points)
}

#[tokio::test]
async fn history_prints_a_series_as_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (db, points) = history_db(dir.path()).await;
    let db = db.to_str().unwrap().to_string();
    let base = [
        "history",
        "--db",
        &db,
        "--service",
        "orders",
        "--series",
        "queue.depth",
    ];

    let csv = cli(&[&base[..], &["--since", "2h"]].concat());
    assert_eq!(
        csv.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let text = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,value");
    assert_eq!(lines.len(), 61);
    let (t, v) = points[0];
    let first = DateTime::<Utc>::from_timestamp_millis(t).unwrap();
    assert_eq!(
        lines[1],
        format!("{},{v}", first.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    );
    assert!(lines[60].ends_with(",60"));

    // --since cuts: the last 10 minutes hold the last 10 points.
    let recent = cli(&[&base[..], &["--since", "10m", "--format", "json"]].concat());
    assert_eq!(recent.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&recent.stdout).expect("JSON");
    let array = json.as_array().unwrap();
    assert_eq!(array.len(), 10);
    assert_eq!(array[9]["value"], 60.0);
    let time = array[9]["time"].as_str().unwrap();
    assert!(
        DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
        "{time}"
    );

    // Downsampled: at most N points, the extremes kept.
    let few = cli(&[&base[..], &["--max-points", "8", "--format", "json"]].concat());
    let json: Value = serde_json::from_slice(&few.stdout).expect("JSON");
    let values: Vec<f64> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert!(values.len() <= 8);
    assert!(
        values.contains(&1.0) && values.contains(&60.0),
        "{values:?}"
    );
}

#[tokio::test]
async fn history_usage_errors_exit_2_and_say_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = history_db(dir.path()).await;
    let db = db.to_str().unwrap().to_string();

    let unknown_service = cli(&[
        "history",
        "--db",
        &db,
        "--service",
        "billing",
        "--series",
        "x",
    ]);
    assert_eq!(unknown_service.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown_service.stderr);
    assert!(
        stderr.contains("no service `billing`") && stderr.contains("services: orders"),
        "{stderr}"
    );

    let unknown_series = cli(&[
        "history",
        "--db",
        &db,
        "--service",
        "orders",
        "--series",
        "x",
    ]);
    assert_eq!(unknown_series.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown_series.stderr);
    assert!(
        stderr.contains("no series `x`") && stderr.contains("series: queue.depth"),
        "{stderr}"
    );

    let missing = dir.path().join("absent.db");
    let no_db = cli(&[
        "history",
        "--db",
        missing.to_str().unwrap(),
        "--service",
        "orders",
        "--series",
        "x",
    ]);
    assert_eq!(no_db.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_db.stderr).contains("no database at"));
    assert!(!missing.exists(), "a missing database is not created");

    let bad_since = cli(&[
        "history",
        "--db",
        &db,
        "--service",
        "orders",
        "--series",
        "x",
        "--since",
        "soon",
    ]);
    assert_eq!(bad_since.status.code(), Some(2));
}

/// The kill test: a child ingests at full speed and is killed with SIGKILL at a random
/// moment, twenty times over the same database. Each time the database opens without
/// recovery, `PRAGMA integrity_check` says ok, and every batch the child reported
/// committed is there.
#[tokio::test]
async fn history_survives_sigkill_twenty_times_with_every_committed_batch() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use switchyard_core::clock::SystemClock;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    let mut state = seed;
    let mut random = move |below: u64| {
        // xorshift64: enough to pick moments; the seed is printed for a re-run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    eprintln!("kill test seed {seed}");
    let mut committed_total = -1i64;
    for round in 0..20 {
        let lines_before_kill = 1 + random(40);
        let extra_micros = random(20_000);
        let db_arg = db.clone();
        let last = tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard-cli"))
                .args(["debug-ingest", "--db", db_arg.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the child starts");
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            let mut last: Option<i64> = None;
            let mut line = String::new();
            for _ in 0..lines_before_kill {
                line.clear();
                if reader.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                last = Some(line.trim().parse().expect("a batch id"));
            }
            // A random moment within the next batch or two; not synchronisation.
            std::thread::sleep(std::time::Duration::from_micros(extra_micros));
            child.kill().expect("SIGKILL");
            // Ids printed before the kill but not read yet are committed too.
            for rest in reader.lines() {
                match rest {
                    Ok(l) if !l.trim().is_empty() => last = Some(l.trim().parse().unwrap()),
                    _ => break,
                }
            }
            child.wait().unwrap();
            last
        })
        .await
        .unwrap();
        let last = last.expect("the child committed at least one batch");
        assert!(last > committed_total, "round {round}: progress");
        committed_total = last;

        let (store, report) = Store::open_with_report(&db, &SystemClock).await.unwrap();
        assert_eq!(report.recovered_from, None, "round {round}: no damage");
        assert_eq!(
            store.integrity_check().await.unwrap(),
            ["ok"],
            "round {round}"
        );
        let id = store
            .series_id("ingest", "ingest.batch")
            .await
            .unwrap()
            .expect("the marker series");
        let markers = store
            .raw_samples(id, switchyard_core::store::TimeRange::all())
            .await
            .unwrap();
        let through_last: Vec<(i64, f64)> = markers
            .iter()
            .copied()
            .filter(|(t, _)| *t <= last)
            .collect();
        assert_eq!(
            through_last.len() as i64,
            last + 1,
            "round {round}: batches 0..={last} all there (seed {seed})"
        );
        assert!(through_last
            .iter()
            .enumerate()
            .all(|(i, (t, v))| *t == i as i64 && *v == i as f64));
        store.close().await;
    }
}

/// Resident memory of a process, in bytes, from /proc.
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

async fn fleet_counter(base_url: &str, key: &str) -> u64 {
    let state: Value = reqwest::get(format!("{base_url}/_fleet/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state[key].as_u64().unwrap_or(0)
}

/// Waits until the fleet's counter reaches `at_least` (the flood's own progress, not a
/// clock, decides when to measure).
async fn until_counter(base_url: &str, key: &str, at_least: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while fleet_counter(base_url, key).await < at_least {
        assert!(
            std::time::Instant::now() < deadline,
            "{key} never reached {at_least}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_flooded_stream_keeps_the_watcher_s_memory_flat() {
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(
            switchyard_fleet::Profile::BreakerRegistry,
            "registry",
        )],
    })
    .await
    .unwrap();
    let base = fleet.services()[0].base_url.clone();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fleet.toml");
    let toml = format!(
        "[[service]]\nname = \"registry\"\nbase_url = \"{base}\"\nprofile = \"breaker-registry\"\npoll_interval = \"5s\"\n\n\
         [[service.stream]]\npath = \"/api/ws/breakers\"\nsubscribe = [\"breakers\"]\nmax_rate = 100\n"
    );
    std::fs::write(&config, toml).unwrap();
    let mut watcher = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard-cli"))
        .args([
            "watch",
            "--config",
            config.to_str().unwrap(),
            "--db",
            dir.path().join("h.db").to_str().unwrap(),
            "--duration",
            "60s",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    until_counter(&base, "ws_active", 1).await;

    reqwest::Client::new()
        .post(format!("{base}/_fleet/set"))
        .json(&serde_json::json!({"stream_fault": "flood", "flood_per_second": 20000}))
        .send()
        .await
        .unwrap();
    let sent = fleet_counter(&base, "ws_messages_sent").await;
    until_counter(&base, "ws_messages_sent", sent + 20_000).await;
    let settled = resident_bytes(watcher.id());
    until_counter(&base, "ws_messages_sent", sent + 100_000).await;
    let later = resident_bytes(watcher.id());
    let _ = watcher.kill();
    let _ = watcher.wait();
    fleet.shutdown().await;
    assert!(settled > 0, "the watcher's memory was readable");
    let grown = later.saturating_sub(settled);
    assert!(
        grown < 16 << 20,
        "the watcher grew by {} MiB while 80,000 more messages arrived",
        grown >> 20
    );
}

mod actions {
    //! `reset` and `clear-cache` against the fleet: the same checks, audit rows and
    //! verification as the app, and the documented exit codes.

    use serde_json::{json, Value};
    use switchyard_core::store::{Store, TimeRange};
    use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

    use super::{cli, cli_without};

    struct Setup {
        fleet: Fleet,
        dir: tempfile::TempDir,
    }

    impl Setup {
        async fn start(services: &[(Profile, &str)], edit: impl Fn(String) -> String) -> Setup {
            let fleet = Fleet::start(FleetSpec {
                services: services
                    .iter()
                    .map(|(profile, name)| ServiceSpec::quiet(*profile, *name))
                    .collect(),
            })
            .await
            .expect("fleet starts");
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(
                dir.path().join("fleet.toml"),
                edit(fleet.config_toml("2s", "1s")),
            )
            .expect("config written");
            Setup { fleet, dir }
        }

        /// A `breaker-registry` "trading-api" whose `exchange_api` breaker is open.
        async fn exchange_api_open() -> Setup {
            let setup = Setup::start(&[(Profile::BreakerRegistry, "trading-api")], |t| t).await;
            setup
                .set(
                    "trading-api",
                    json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
                )
                .await;
            setup
        }

        fn url(&self, name: &str) -> String {
            self.fleet
                .services()
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.base_url.clone())
                .expect("service")
        }

        async fn set(&self, name: &str, body: Value) {
            let response = reqwest::Client::new()
                .post(format!("{}/_fleet/set", self.url(name)))
                .json(&body)
                .send()
                .await
                .expect("control answers");
            assert!(response.status().is_success(), "{body}");
        }

        async fn received(&self, name: &str) -> Vec<Value> {
            let state: Value = reqwest::get(format!("{}/_fleet/state", self.url(name)))
                .await
                .expect("state")
                .json()
                .await
                .expect("JSON");
            state["actions"].as_array().cloned().unwrap_or_default()
        }

        fn db(&self) -> String {
            self.dir.path().join("history.db").display().to_string()
        }

        /// Runs the CLI with `--config` and `--db` after the subcommand.
        async fn run(&self, command: &str, rest: &[&str]) -> (Option<i32>, String, String) {
            self.run_without(command, rest, &[]).await
        }

        /// [`Setup::run`] with the variables `unset` removed from the CLI's environment.
        async fn run_without(
            &self,
            command: &str,
            rest: &[&str],
            unset: &'static [&'static str],
        ) -> (Option<i32>, String, String) {
            let mut args: Vec<String> = vec![
                command.into(),
                "--config".into(),
                self.dir.path().join("fleet.toml").display().to_string(),
                "--db".into(),
                self.db(),
            ];
            args.extend(rest.iter().map(|a| a.to_string()));
            let output = tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                cli_without(&args, unset)
            })
            .await
            .expect("the CLI ran");
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        }

        async fn audit(&self, service: &str) -> Vec<switchyard_core::store::ActionRecord> {
            let store = Store::open(std::path::Path::new(&self.db()))
                .await
                .expect("store");
            let rows = store
                .actions_between(Some(service), TimeRange::all())
                .await
                .expect("audit");
            store.close().await;
            rows
        }
    }

    #[tokio::test]
    async fn reset_prints_the_plan_sends_once_audits_and_verifies() {
        let setup = Setup::exchange_api_open().await;
        let (code, stdout, stderr) = setup
            .run(
                "reset",
                &[
                    "trading-api",
                    "exchange_api",
                    "--reason",
                    "INC-4711 exchange is back",
                ],
            )
            .await;
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert!(stdout.contains("breaker: exchange_api is open"), "{stdout}");
        assert!(
            stdout.contains("plan: POST 127.0.0.1:") && stdout.contains("/exchange_api/reset"),
            "{stdout}"
        );
        assert!(stdout.contains("outcome: done (HTTP 200"), "{stdout}");
        assert!(stdout.contains("verified: closed"), "{stdout}");
        let received = setup.received("trading-api").await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0]["reason"], "INC-4711 exchange is back");
        let rows = setup.audit("trading-api").await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action, "reset_breaker");
        assert_eq!(rows[0].http_status, Some(200));
        assert_eq!(rows[0].verified_state.as_deref(), Some("closed"));
        assert!(!rows[0].operator.is_empty());

        // Closed now: a second reset is refused before sending, and says how to insist.
        let (code, _, stderr) = setup
            .run(
                "reset",
                &["trading-api", "exchange_api", "--reason", "again"],
            )
            .await;
        assert_eq!(code, Some(1));
        assert!(stderr.contains("already closed"), "{stderr}");
        assert!(stderr.contains("--override"), "{stderr}");
        assert_eq!(setup.received("trading-api").await.len(), 1);
        setup.fleet.shutdown().await;
    }

    /// A session started without `$USER` (a systemd unit, `env -i`): the audit row still
    /// names the account, from the password database, never "unknown".
    #[tokio::test]
    async fn without_user_in_the_environment_the_audit_names_the_account() {
        let setup = Setup::exchange_api_open().await;
        let (code, stdout, stderr) = setup
            .run_without(
                "reset",
                &["trading-api", "exchange_api", "--reason", "no USER here"],
                &["USER", "LOGNAME", "USERNAME"],
            )
            .await;
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        let rows = setup.audit("trading-api").await;
        assert_eq!(rows.len(), 1);
        let operator = &rows[0].operator;
        assert!(
            !operator.is_empty() && operator != "unknown",
            "operator {operator:?}"
        );
        // The account running the tests, as the password database names it.
        let uid = std::fs::read_to_string("/proc/self/status")
            .expect("status")
            .lines()
            .find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|r| r.split_whitespace().next().unwrap_or("").to_string())
            })
            .expect("a uid");
        let passwd = std::fs::read_to_string("/etc/passwd").expect("passwd");
        let account = passwd
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 2 && f[2] == uid)
            .map(|f| f[0].to_string());
        assert_eq!(
            Some(operator.clone()),
            account.or(Some(format!("uid {uid}")))
        );
        setup.fleet.shutdown().await;
    }

    #[tokio::test]
    async fn single_breaker_needs_override_and_sends_the_reason_with_it() {
        let setup = Setup::start(&[(Profile::SingleBreaker, "trading-bot")], |t| t).await;
        let (code, _, stderr) = setup
            .run(
                "reset",
                &[
                    "trading-bot",
                    "circuit_breaker",
                    "--reason",
                    "resume trading",
                ],
            )
            .await;
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("409"), "{stderr}");
        let (code, stdout, stderr) = setup
            .run(
                "reset",
                &[
                    "trading-bot",
                    "circuit_breaker",
                    "--reason",
                    "resume trading",
                    "--override",
                ],
            )
            .await;
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert!(
            stdout.contains("override=true&reason=resume%20trading"),
            "{stdout}"
        );
        let received = setup.received("trading-bot").await;
        assert_eq!(received.len(), 1, "the refused plan sent nothing");
        assert_eq!(
            received[0]["query"],
            "override=true&reason=resume%20trading"
        );
        let rows = setup.audit("trading-bot").await;
        assert_eq!(rows.len(), 1);
        assert!(rows[0].override_checks);
        setup.fleet.shutdown().await;
    }

    #[tokio::test]
    async fn an_ignored_reset_exits_1_not_verified_and_json_says_so() {
        let setup = Setup::start(&[(Profile::BreakerRegistry, "trading-api")], |t| t).await;
        setup
            .set(
                "trading-api",
                json!({"breakers": {"redis": {"state": "OPEN"}}, "ignore_resets": true}),
            )
            .await;
        let (code, stdout, stderr) = setup
            .run(
                "reset",
                &[
                    "trading-api",
                    "redis",
                    "--reason",
                    "try",
                    "--verify-for",
                    "1s",
                    "--json",
                ],
            )
            .await;
        assert_eq!(code, Some(1), "{stdout}{stderr}");
        let outcome: Value = serde_json::from_str(&stdout).expect("JSON outcome");
        assert_eq!(outcome["status"], "done");
        assert_eq!(outcome["verification"]["kind"], "not_verified");
        assert_eq!(outcome["verification"]["state"], "open");
        let rows = setup.audit("trading-api").await;
        assert!(rows[0]
            .verified_state
            .as_deref()
            .is_some_and(|v| v.starts_with("not verified: open")));
        setup.fleet.shutdown().await;
    }

    #[tokio::test]
    async fn clear_cache_by_pattern_and_refusals_and_usage_errors() {
        let setup = Setup::start(
            &[
                (Profile::BreakerRegistry, "trading-api"),
                (Profile::EmergencyControls, "wallet-api"),
                (Profile::SingleBreaker, "trading-bot"),
            ],
            |toml| {
                toml.replacen(
                    "profile = \"single-breaker\"",
                    "profile = \"single-breaker\"\nallow_actions = false",
                    1,
                )
            },
        )
        .await;
        let (code, stdout, stderr) = setup
            .run(
                "clear-cache",
                &[
                    "trading-api",
                    "--pattern",
                    "market_data:*",
                    "--reason",
                    "poisoned feed",
                ],
            )
            .await;
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert!(stdout.contains("entries invalidated"), "{stdout}");
        let received = setup.received("trading-api").await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0]["path"], "/api/cache/invalidate/pattern");

        let (code, _, stderr) = setup
            .run("reset", &["wallet-api", "swap", "--reason", "why"])
            .await;
        assert_eq!(code, Some(1));
        assert!(stderr.contains("read-only"), "{stderr}");
        let (code, _, stderr) = setup
            .run(
                "reset",
                &["trading-bot", "circuit_breaker", "--reason", "why"],
            )
            .await;
        assert_eq!(code, Some(1));
        assert!(stderr.contains("allow_actions = false"), "{stderr}");
        assert!(setup.received("trading-bot").await.is_empty());
        let (code, _, stderr) = setup
            .run("reset", &["trading-api", "redis", "--reason", "  "])
            .await;
        assert_eq!(code, Some(1));
        assert!(stderr.contains("a reason is required"), "{stderr}");

        let (code, _, stderr) = setup.run("reset", &["nope", "x", "--reason", "why"]).await;
        assert_eq!(code, Some(2));
        assert!(stderr.contains("services: trading-api"), "{stderr}");
        let (code, _, _) = setup.run("reset", &["trading-api", "redis"]).await;
        assert_eq!(code, Some(2), "--reason is required");
        setup.fleet.shutdown().await;
    }

    #[test]
    fn help_shows_an_example() {
        for command in ["reset", "clear-cache"] {
            let output = cli(&[command, "--help"]);
            assert_eq!(output.status.code(), Some(0));
            let help = String::from_utf8_lossy(&output.stdout);
            assert!(help.contains("Example"), "{help}");
            assert!(help.contains("--reason"), "{help}");
        }
    }
}

#[tokio::test]
async fn snapshot_writes_html_json_and_zip_and_refuses_unknown_services() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = history_db(dir.path()).await;
    let (db, out, json, zip) = (
        db.display().to_string(),
        dir.path().join("incident.html"),
        dir.path().join("incident.json"),
        dir.path().join("incident.zip"),
    );
    let args: Vec<String> = vec![
        "snapshot".into(),
        "--db".into(),
        db.clone(),
        "--since".into(),
        "2h".into(),
        "--out".into(),
        out.display().to_string(),
        "--json".into(),
        json.display().to_string(),
        "--zip".into(),
        zip.display().to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1/1 orders"),
        "progress on stderr: {stderr}"
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["services"][0]["name"], "orders");
    assert!(zip.is_file());

    let unknown = tokio::task::spawn_blocking(move || {
        cli(&[
            "snapshot",
            "--db",
            &db,
            "--service",
            "nope",
            "--out",
            "/dev/null",
        ])
    })
    .await
    .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no service `nope`"));
}
