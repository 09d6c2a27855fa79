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
