//! Secret references against the real platform stores: the environment, and the OS
//! keyring as a desktop has it — a real Secret Service (GNOME Keyring on the test's
//! session bus): a `keyring:` reference stored, read, missing and locked, and a keyring
//! secret searched for (and not found) in an exported snapshot.

use secrecy::ExposeSecret;
use switchyard_core::secrets::SecretRef;

#[test]
fn a_missing_keyring_entry_names_the_reference_only() {
    let account = format!("absent-{}", std::process::id());
    let reference = SecretRef::parse(&format!("keyring:switchyard-test/{account}"))
        .unwrap()
        .unwrap();
    let err = reference.resolve().unwrap_err();
    assert!(
        err.contains("switchyard-test") && err.contains(&account),
        "the error names the entry: {err}"
    );
    assert_eq!(
        reference.to_string(),
        format!("keyring:switchyard-test/{account}")
    );
}

#[test]
fn an_env_reference_reads_the_process_environment() {
    // PATH is always set; reading it proves the lookup, and a secret's Debug hides it.
    let reference = SecretRef::parse("env:PATH").unwrap().unwrap();
    let secret = reference.resolve().unwrap();
    assert_eq!(secret.expose_secret(), std::env::var("PATH").unwrap());
    assert!(!format!("{secret:?}").contains(&std::env::var("PATH").unwrap()));
}

mod hygiene {
    //! A real key, used for real, must not reach the database or the logs.

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use serde_json::json;
    use switchyard_core::clock::SystemClock;
    use switchyard_core::config::Config;
    use switchyard_core::engine::EngineHandle;
    use switchyard_core::secrets::HeaderSource;
    use switchyard_core::store::Store;
    use switchyard_fleet::{Fleet, FleetSpec, Profile as SimProfile, ServiceSpec};

    use crate::support::{set, wait_for};

    /// Collects everything the tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut bytes) = self.0.lock() {
                bytes.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_internal_key_never_reaches_the_database_or_the_logs() {
        let logs = Captured::default();
        let writer = logs.clone();
        // Everything, at the most verbose level, including reqwest's and hyper's own logs.
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .try_init();

        let fleet = Fleet::start(FleetSpec {
            services: vec![ServiceSpec::quiet(SimProfile::HealthLevels, "events")],
        })
        .await
        .unwrap();
        let key = fleet.internal_key().to_string();
        let mut config = Config::parse(&fleet.config_toml("200ms", "150ms")).unwrap();
        config.services[0].headers[0].1 = HeaderSource::Literal(key.clone());
        set(
            &fleet,
            "events",
            json!({"queue": {"depth": 12, "capacity": 1000}}),
        )
        .await;

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("history.db")).await.unwrap();
        let engine =
            EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
        let mut events = crate::support::events_of(&engine);
        // The keyed endpoint answered: its queue capacity is only there with the key.
        for _ in 0..3 {
            wait_for(&mut events, "events", "pipeline metrics", |s| {
                s.latest
                    .as_ref()
                    .is_some_and(|o| o.samples.iter().any(|x| x.series == "queue.capacity"))
            })
            .await;
        }
        engine.shutdown().await;
        store.close().await;
        fleet.shutdown().await;

        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            // SQLite may remove its -wal or -shm file between the listing and the read;
            // a file that is gone holds no key.
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            assert!(
                !contains(&bytes, key.as_bytes()),
                "the key is in {}",
                path.display()
            );
        }
        let logs = logs.0.lock().unwrap().clone();
        assert!(!logs.is_empty(), "the subscriber captured the run");
        assert!(!contains(&logs, key.as_bytes()), "the key is in the logs");
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }
}

#[tokio::test]
async fn a_keyring_secret_is_stored_read_missing_locked_and_never_exported() {
    use std::sync::Arc;

    use secrecy::SecretString;
    use switchyard_core::clock::SystemClock;
    use switchyard_core::config::Config;
    use switchyard_core::console::{Console, ConsoleOptions, ExportRequest, Watch};
    use switchyard_core::secrets::store_in_keyring;
    use switchyard_core::store::{AlertEvent, AlertState, Store};
    use switchyard_fleet::keyring_on_session::TestKeyring;

    let keyring = TestKeyring::start()
        .await
        .expect("a Secret Service on the session bus");
    let canary = format!("kr-canary-{}", std::process::id());
    let account = format!("orders-{}", std::process::id());
    // Stored and read back, through the Secret Service (its calls block: off the runtime).
    let (stored, canary_copy) = (account.clone(), canary.clone());
    let reference = tokio::task::spawn_blocking(move || {
        store_in_keyring(&stored, SecretString::from(canary_copy))
    })
    .await
    .unwrap()
    .expect("stored");
    assert_eq!(
        reference.to_string(),
        format!("keyring:switchyard/{account}")
    );
    let read = reference.clone();
    let value = tokio::task::spawn_blocking(move || read.resolve())
        .await
        .unwrap();
    assert_eq!(value.expect("read").expose_secret(), canary);
    // Missing: the error names the entry, never a value.
    let absent = SecretRef::parse("keyring:switchyard/absent-entry")
        .unwrap()
        .unwrap();
    let error = tokio::task::spawn_blocking(move || absent.resolve())
        .await
        .unwrap()
        .unwrap_err();
    assert!(error.contains("absent-entry"), "{error}");

    // The secret sits in the history (a service echoed it); an export finds and hides it.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let store = Store::open(&db).await.unwrap();
    let writer = store.start_writer();
    let now = chrono::Utc::now();
    writer.handle().record_alert(AlertEvent {
        rule: "echo".into(),
        service: "orders".into(),
        severity: "warning".into(),
        state: AlertState::Firing,
        value: None,
        at: now - chrono::Duration::minutes(1),
        subject: None,
        detail: Some(format!("upstream said X-Api-Key: {canary}")),
        silenced_until: None,
    });
    writer.finish().await;
    store.close().await;
    let config = Config::parse(&format!(
        "[[service]]\nname = \"orders\"\nbase_url = \"http://127.0.0.1:9\"\nprofile = \"health-contract\"\nheaders = {{ \"X-Api-Key\" = \"{reference}\" }}\n"
    ))
    .unwrap();
    let console = Console::start(
        config,
        ConsoleOptions {
            database: Some(db),
            clock: Arc::new(SystemClock),
            watch: Watch::Nothing,
            maintenance: false,
        },
    )
    .await;
    let html = dir.path().join("incident.html");
    let json = dir.path().join("incident.json");
    console
        .export_snapshot(
            ExportRequest {
                window: Some((now - chrono::Duration::minutes(10), now)),
                services: None,
                now,
                html: html.clone(),
                json: Some(json.clone()),
                zip: None,
                with_config: true,
            },
            &|_| {},
        )
        .await
        .expect("exported");
    for file in [&html, &json] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains(&canary),
            "the keyring secret is in {}",
            file.display()
        );
        assert!(text.contains("[redacted]"), "{}", file.display());
    }
    console.shutdown().await;

    // Locked (a screen lock): reading fails, within seconds, naming the entry.
    keyring.lock().await.expect("locked");
    let locked = reference.clone();
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::task::spawn_blocking(move || locked.resolve()),
    )
    .await
    .expect("a locked keyring answers, not hangs")
    .unwrap();
    let error = answer.expect_err("a locked keyring gives nothing");
    assert!(error.contains(&account), "{error}");
}
