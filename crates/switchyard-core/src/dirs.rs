//! Where Switchyard keeps its files on this machine: configuration, history, logs.

use std::path::PathBuf;

/// The user's directories for Switchyard (XDG on Linux).
#[derive(Debug, Clone)]
pub struct AppDirs {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl AppDirs {
    /// The platform's directories, or `None` when the OS reports no home directory.
    pub fn discover() -> Option<AppDirs> {
        let project = directories::ProjectDirs::from("", "", "switchyard")?;
        let data_dir = project.data_dir().to_path_buf();
        Some(AppDirs {
            config_dir: project.config_dir().to_path_buf(),
            log_dir: data_dir.join("logs"),
            data_dir,
        })
    }
}

/// The name a running window holds so that a second launch finds it (a D-Bus name on
/// Linux): one per configuration and data folder, that is, per history database. Two
/// launches on the same history would be two writers; two different histories (the
/// demo beside a production configuration, or tests each in a home of their own) may
/// run side by side.
pub fn instance_id(
    source: &crate::config::ConfigSource,
    data_dir: Option<&std::path::Path>,
) -> String {
    let config = match source {
        crate::config::ConfigSource::Demo => "demo".to_string(),
        crate::config::ConfigSource::File(path) => std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.clone())
            .display()
            .to_string(),
    };
    let data = data_dir
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    // FNV-1a: stable across builds, unlike std's hasher, so two versions agree.
    let hash = format!("{config}\n{data}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    // Each element of a D-Bus name must not start with a digit.
    format!("dev.switchyard.console.i{hash:016x}")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::instance_id;
    use crate::config::ConfigSource;

    #[test]
    fn one_instance_id_per_configuration_and_data_folder() {
        let demo = ConfigSource::Demo;
        let file = ConfigSource::File(PathBuf::from("/nonexistent/switchyard.toml"));
        let here = Some(Path::new("/home/a/.local/share/switchyard"));
        let there = Some(Path::new("/tmp/other-home/switchyard"));

        assert_eq!(instance_id(&demo, here), instance_id(&demo, here));
        assert_ne!(instance_id(&demo, here), instance_id(&demo, there));
        assert_ne!(instance_id(&demo, here), instance_id(&file, here));
        assert_ne!(instance_id(&file, here), instance_id(&file, None));
    }

    #[test]
    fn a_relative_and_an_absolute_path_to_one_file_are_one_instance() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("switchyard.toml");
        std::fs::write(&file, "").expect("write");
        let via_dot = dir.path().join(".").join("switchyard.toml");
        assert_eq!(
            instance_id(&ConfigSource::File(file), None),
            instance_id(&ConfigSource::File(via_dot), None)
        );
    }

    #[test]
    fn the_id_is_a_valid_dbus_name() {
        let id = instance_id(&ConfigSource::Demo, None);
        assert!(id.len() <= 255 - ".SingleInstance".len());
        for element in id.split('.') {
            assert!(!element.is_empty());
            assert!(
                !element.starts_with(|c: char| c.is_ascii_digit()),
                "{element}"
            );
            assert!(element
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        }
    }
}
