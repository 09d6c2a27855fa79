//! The window's edits keep the file the engineer wrote: comments, order, unknown keys;
//! they are refused, with the file untouched, when the result would not validate.

use super::*;

const HAND_WRITTEN: &str = r#"# Production fleet: keep this comment.
operator = "on-call"

[defaults]
poll_interval = "5s" # five seconds is enough

# The order service, owned by payments.
[[service]]
name = "orders"
base_url = "http://127.0.0.1:8001"
profile = "health-contract" # pinned: detection is slow
poll_interval = "2s"

[[service.stream]]
path = "/api/ws/breakers"

# Events: needs the internal key.
[[service]]
name = "events"
base_url = "http://127.0.0.1:8002"
headers = { "X-Internal-Key" = "env:EVENTS_KEY" }
"#;

fn entry(name: &str, url: &str) -> ServiceEntry {
    ServiceEntry {
        name: name.into(),
        base_url: url.into(),
        profile: None,
        tags: Vec::new(),
        headers: Vec::new(),
    }
}

#[test]
fn adding_a_service_keeps_every_comment_and_key() {
    let mut added = entry("billing", "http://127.0.0.1:8003");
    added.tags = vec!["team:payments".into()];
    added.headers = vec![("Authorization".into(), "keyring:switchyard/billing".into())];
    let edited = apply(HAND_WRITTEN, &ServiceEdit::Add { entry: added }, None).unwrap();

    assert!(
        edited.text.starts_with(HAND_WRITTEN),
        "the old text is kept as written, the new service after it:\n{}",
        edited.text
    );
    assert!(
        edited.text.contains("name = \"billing\""),
        "{}",
        edited.text
    );
    let names: Vec<&str> = edited
        .config
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["orders", "events", "billing"]);
    let billing = &edited.config.services[2];
    assert_eq!(billing.tags, ["team:payments"]);
    assert_eq!(
        billing.headers[0].1.describe(),
        "keyring:switchyard/billing"
    );
    // What the file held before still holds.
    assert_eq!(edited.config.services[0].poll_interval.as_secs(), 2);
    assert_eq!(edited.config.services[0].streams.len(), 1);
    assert_eq!(edited.config.operator.as_deref(), Some("on-call"));
}

#[test]
fn updating_a_service_keeps_its_unknown_keys_comments_and_place() {
    let mut changed = entry("orders-api", "http://127.0.0.1:9001");
    changed.profile = Some("health-levels".into());
    let edited = apply(
        HAND_WRITTEN,
        &ServiceEdit::Update {
            name: "orders".into(),
            entry: changed,
        },
        None,
    )
    .unwrap();
    let text = &edited.text;
    assert!(
        text.contains(
            "# The order service, owned by payments.\n[[service]]\nname = \"orders-api\""
        ),
        "{text}"
    );
    assert!(
        text.contains("profile = \"health-levels\" # pinned: detection is slow"),
        "{text}"
    );
    assert!(text.contains("poll_interval = \"2s\""), "{text}");
    assert!(text.contains("# Events: needs the internal key."), "{text}");
    let orders = &edited.config.services[0];
    assert_eq!(orders.name, "orders-api");
    assert_eq!(orders.base_url, "http://127.0.0.1:9001");
    assert_eq!(
        orders.poll_interval.as_secs(),
        2,
        "an unknown-to-the-window key is kept"
    );
    assert_eq!(orders.streams.len(), 1, "its stream table stays with it");
}

#[test]
fn clearing_the_profile_and_headers_removes_those_keys_only() {
    let edited = apply(
        HAND_WRITTEN,
        &ServiceEdit::Update {
            name: "events".into(),
            entry: entry("events", "http://127.0.0.1:8002"),
        },
        None,
    )
    .unwrap();
    assert!(!edited.text.contains("X-Internal-Key"), "{}", edited.text);
    assert!(edited
        .text
        .contains("# Events: needs the internal key.\n[[service]]\nname = \"events\""));
    assert_eq!(
        entries(&edited.text).unwrap()[1],
        entry("events", "http://127.0.0.1:8002")
    );
}

#[test]
fn removing_a_service_takes_its_table_and_keeps_the_rest() {
    let edited = apply(
        HAND_WRITTEN,
        &ServiceEdit::Remove {
            name: "orders".into(),
        },
        None,
    )
    .unwrap();
    assert!(!edited.text.contains("orders"), "{}", edited.text);
    assert!(
        !edited.text.contains("/api/ws/breakers"),
        "its stream goes with it"
    );
    assert!(edited
        .text
        .starts_with("# Production fleet: keep this comment."));
    assert!(edited
        .text
        .contains("poll_interval = \"5s\" # five seconds is enough"));
    assert_eq!(edited.config.services.len(), 1);
}

#[test]
fn the_dialog_reads_what_the_file_says() {
    let read = entries(HAND_WRITTEN).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].profile.as_deref(), Some("health-contract"));
    assert_eq!(
        read[1].headers,
        [("X-Internal-Key".to_string(), "env:EVENTS_KEY".to_string())]
    );
}

#[test]
fn a_change_that_would_not_validate_is_refused_with_the_check_config_error() {
    let refused = apply(
        HAND_WRITTEN,
        &ServiceEdit::Add {
            entry: entry("billing", "ftp://billing"),
        },
        Some(Path::new("/etc/fleet.toml")),
    )
    .unwrap_err();
    let EditError::Invalid(error) = &refused else {
        panic!("{refused:?}")
    };
    let expected = Config::parse(&format!(
        "{HAND_WRITTEN}\n[[service]]\nname = \"billing\"\nbase_url = \"ftp://billing\"\n"
    ))
    .unwrap_err();
    assert_eq!(
        error.message, expected.message,
        "the same words as check-config"
    );
    assert!(error.line.is_some(), "{error}");
    assert!(
        refused.to_string().starts_with("/etc/fleet.toml:"),
        "{refused}"
    );

    let last = apply(
        "[[service]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:1\"\n",
        &ServiceEdit::Remove { name: "a".into() },
        None,
    )
    .unwrap_err();
    assert!(last.to_string().contains("no services"), "{last}");
}

#[test]
fn a_typed_secret_is_refused_without_being_repeated() {
    let mut leaky = entry("billing", "http://127.0.0.1:8003");
    leaky.headers = vec![("Authorization".into(), "Bearer hunter2".into())];
    let refused = apply(HAND_WRITTEN, &ServiceEdit::Add { entry: leaky }, None).unwrap_err();
    assert!(refused.to_string().contains("env:NAME"), "{refused}");
    assert!(!refused.to_string().contains("hunter2"), "{refused}");
}

#[test]
fn names_must_stay_unique_and_exist() {
    let taken = apply(
        HAND_WRITTEN,
        &ServiceEdit::Add {
            entry: entry("orders", "http://127.0.0.1:9"),
        },
        None,
    )
    .unwrap_err();
    assert_eq!(taken, EditError::NameTaken("orders".into()));
    let renamed_onto = apply(
        HAND_WRITTEN,
        &ServiceEdit::Update {
            name: "orders".into(),
            entry: entry("events", "http://127.0.0.1:9"),
        },
        None,
    )
    .unwrap_err();
    assert_eq!(renamed_onto, EditError::NameTaken("events".into()));
    let missing = apply(
        HAND_WRITTEN,
        &ServiceEdit::Remove {
            name: "nope".into(),
        },
        None,
    )
    .unwrap_err();
    assert_eq!(missing, EditError::NoSuchService("nope".into()));
}

#[test]
fn a_file_that_is_not_toml_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchyard.toml");
    let broken = "[[service]\nname = \"a\"\n";
    std::fs::write(&path, broken).unwrap();
    let refused = edit_file(
        &path,
        &ServiceEdit::Add {
            entry: entry("b", "http://127.0.0.1:9"),
        },
    )
    .unwrap_err();
    assert!(matches!(refused, EditError::Unreadable(_)), "{refused:?}");
    assert!(
        refused.to_string().contains("switchyard.toml:1:"),
        "{refused}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn a_refused_change_leaves_the_file_and_folder_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchyard.toml");
    std::fs::write(&path, HAND_WRITTEN).unwrap();
    let refused = edit_file(
        &path,
        &ServiceEdit::Add {
            entry: entry("billing", "not a url"),
        },
    );
    assert!(matches!(refused, Err(EditError::Invalid(_))), "{refused:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), HAND_WRITTEN);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file left behind");
}

#[test]
fn the_first_service_creates_the_file_with_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("config")
        .join("switchyard")
        .join("switchyard.toml");
    let edited = edit_file(
        &path,
        &ServiceEdit::Add {
            entry: entry("orders", "http://127.0.0.1:8001/"),
        },
    )
    .unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, edited.text);
    assert!(written.starts_with(NEW_FILE_HEADER), "{written}");
    assert_eq!(
        Config::load(&path).unwrap().services[0].base_url,
        "http://127.0.0.1:8001"
    );
}

#[test]
fn the_write_replaces_the_file_whole_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchyard.toml");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let old_inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());

    write_atomically(&path, "new text").unwrap();

    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new text");
    assert_ne!(
        std::os::unix::fs::MetadataExt::ino(&meta),
        old_inode,
        "a new file renamed into place, not the old one rewritten in place"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
