//! The configuration file, watched: an edit saved by hand is read again, validated as
//! `check-config` validates it, and reported as a new configuration to run, or as the
//! error that keeps the last good one running. The folder is watched rather than the
//! file, because editors save by writing a new file and renaming it over the old one,
//! which a watch on the old file's inode would miss.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{Config, ConfigError};

/// Editors write a file in several steps; this long without news means they are done.
const SETTLE: Duration = Duration::from_millis(250);

/// A new state of the file.
#[derive(Debug, Clone)]
pub enum ConfigChange {
    /// It validates: run this.
    Valid { config: Box<Config>, text: String },
    /// It does not: the last good configuration keeps running; show this.
    Invalid(ConfigError),
}

/// Watches one configuration file until dropped.
pub struct ConfigWatcher {
    _watcher: notify::RecommendedWatcher,
    last_text: Arc<Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ConfigWatcher {
    /// Starts watching `path`, whose text is now `current` (not reported again). Must
    /// be called inside a Tokio runtime.
    pub fn start(
        path: &Path,
        current: Option<String>,
    ) -> Result<(ConfigWatcher, mpsc::Receiver<ConfigChange>), String> {
        let path = std::path::absolute(path).map_err(|e| e.to_string())?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| format!("{} has no folder to watch", path.display()))?;
        let file_name = path.file_name().map(|n| n.to_os_string());
        let (nudge, mut nudged) = mpsc::unbounded_channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if event.kind.is_access() {
                    return;
                }
                let ours = event.paths.is_empty()
                    || event
                        .paths
                        .iter()
                        .any(|p| p.file_name().map(|n| n.to_os_string()) == file_name);
                if ours {
                    let _ = nudge.send(());
                }
            })
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;

        let last_text = Arc::new(Mutex::new(current));
        let (changes, receiver) = mpsc::channel(8);
        let last = last_text.clone();
        let task = tokio::spawn(async move {
            while nudged.recv().await.is_some() {
                // Let the editor finish: wait until the folder is quiet for a moment.
                while let Ok(Some(())) = tokio::time::timeout(SETTLE, nudged.recv()).await {}
                let Some(change) = read(&path, &last) else {
                    continue;
                };
                if changes.send(change).await.is_err() {
                    break;
                }
            }
        });
        Ok((
            ConfigWatcher {
                _watcher: watcher,
                last_text,
                task,
            },
            receiver,
        ))
    }

    /// The console wrote `text` itself (and applies it itself): not news.
    pub fn written(&self, text: &str) {
        *self.last_text.lock().unwrap_or_else(|e| e.into_inner()) = Some(text.to_string());
    }
}

impl Drop for ConfigWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads the file after a change; `None` when its text is what was last seen.
fn read(path: &PathBuf, last: &Mutex<Option<String>>) -> Option<ConfigChange> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            // Reported once, until the file is back.
            last.take()?;
            return Some(ConfigChange::Invalid(ConfigError {
                file: Some(path.clone()),
                line: None,
                message: format!(
                    "cannot read the configuration ({e}); the last good configuration keeps running"
                ),
            }));
        }
    };
    {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if last.as_deref() == Some(text.as_str()) {
            return None;
        }
        *last = Some(text.clone());
    }
    Some(match Config::parse(&text) {
        Ok(config) => ConfigChange::Valid {
            config: Box::new(config),
            text,
        },
        Err(mut e) => {
            e.file = Some(path.clone());
            ConfigChange::Invalid(e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# mine\n[[service]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:1\"\n";

    async fn next(changes: &mut mpsc::Receiver<ConfigChange>) -> ConfigChange {
        tokio::time::timeout(Duration::from_secs(10), changes.recv())
            .await
            .expect("a change within 10 s")
            .expect("the watcher runs")
    }

    #[tokio::test]
    async fn a_saved_edit_is_reported_valid_or_with_the_check_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchyard.toml");
        std::fs::write(&path, GOOD).unwrap();
        let (watcher, mut changes) = ConfigWatcher::start(&path, Some(GOOD.into())).unwrap();

        // An editor's save: a new file renamed over the old one.
        let renamed = GOOD.replace("name = \"a\"", "name = \"b\"");
        super::super::edit::write_atomically(&path, &renamed).unwrap();
        let ConfigChange::Valid { config, .. } = next(&mut changes).await else {
            panic!("valid")
        };
        assert_eq!(config.services[0].name, "b");

        // A save in place, with a mistake on line 4.
        std::fs::write(&path, renamed.replace("base_url", "base_ur")).unwrap();
        let ConfigChange::Invalid(error) = next(&mut changes).await else {
            panic!("invalid")
        };
        assert_eq!(error.line, Some(4), "{error}");
        assert!(error.to_string().contains("switchyard.toml:4:"), "{error}");
        assert_eq!(
            error.message,
            Config::parse(&renamed.replace("base_url", "base_ur"))
                .unwrap_err()
                .message
        );

        // What the console wrote itself is not news; the next hand edit is.
        watcher.written(GOOD);
        std::fs::write(&path, GOOD).unwrap();
        let other = GOOD.replace("# mine", "# still mine");
        std::fs::write(&path, &other).unwrap();
        let ConfigChange::Valid { text, .. } = next(&mut changes).await else {
            panic!("valid")
        };
        assert_eq!(text, other);
    }
}
