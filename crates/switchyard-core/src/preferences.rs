//! What the window remembers between starts: the theme and the live range. A small
//! JSON file next to the history, written whole to a temporary file and renamed, so
//! the app may be stopped at any moment (an engineer toggles the theme and quits)
//! without losing the choice or leaving half a file. A file that does not read, or a
//! value the window does not offer, gives the default for that field.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::charts::Theme;

/// The preset ranges the window offers, in minutes (15 m to 30 d).
pub const RANGE_MINUTES: [u32; 6] = [15, 60, 360, 1_440, 10_080, 43_200];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Preferences {
    pub theme: Theme,
    /// One of [`RANGE_MINUTES`]: a paused or custom range is a look at the past, not a
    /// preference.
    pub range_minutes: u32,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            theme: Theme::Dark,
            range_minutes: 15,
        }
    }
}

impl Preferences {
    /// The file in the data folder.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("preferences.json")
    }

    /// Reads `path`, field by field: anything missing or not offered is the default.
    pub fn load(path: &Path) -> Preferences {
        let defaults = Preferences::default();
        let Ok(text) = std::fs::read_to_string(path) else {
            return defaults;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            tracing::warn!(path = %path.display(), "the saved preferences do not read; using the defaults");
            return defaults;
        };
        Preferences {
            theme: serde_json::from_value(value["theme"].clone()).unwrap_or(defaults.theme),
            range_minutes: value["range_minutes"]
                .as_u64()
                .and_then(|m| u32::try_from(m).ok())
                .filter(|m| RANGE_MINUTES.contains(m))
                .unwrap_or(defaults.range_minutes),
        }
    }

    /// Writes the preferences to `path` (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), PreferencesNotSaved> {
        let not_saved = |source: std::io::Error| PreferencesNotSaved {
            path: path.to_path_buf(),
            source,
        };
        if !RANGE_MINUTES.contains(&self.range_minutes) {
            return Err(not_saved(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{} minutes is not a range the window offers",
                    self.range_minutes
                ),
            )));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(not_saved)?;
        }
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| not_saved(e.into()))?;
        std::fs::write(&temporary, text).map_err(not_saved)?;
        std::fs::rename(&temporary, path).map_err(not_saved)
    }
}

/// The preferences could not be written; the window goes on with them in memory.
#[derive(Debug, thiserror::Error)]
#[error("cannot save the preferences in {}: {source}", path.display())]
pub struct PreferencesNotSaved {
    pub path: PathBuf,
    pub source: std::io::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_preferences_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = Preferences::path_in(&dir.path().join("new-folder"));
        let chosen = Preferences {
            theme: Theme::Light,
            range_minutes: 1_440,
        };
        chosen.save(&path).unwrap();
        assert_eq!(Preferences::load(&path), chosen);
        assert!(!path.with_extension("json.tmp").exists());
    }

    #[test]
    fn a_missing_or_garbled_file_or_field_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = Preferences::path_in(dir.path());
        assert_eq!(Preferences::load(&path), Preferences::default());
        for (text, want) in [
            ("{not json", Preferences::default()),
            ("42", Preferences::default()),
            (
                r#"{"theme": "purple", "range_minutes": 60}"#,
                Preferences {
                    theme: Theme::Dark,
                    range_minutes: 60,
                },
            ),
            (
                r#"{"theme": "light", "range_minutes": 7}"#,
                Preferences {
                    theme: Theme::Light,
                    range_minutes: 15,
                },
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            assert_eq!(Preferences::load(&path), want, "{text}");
        }
    }

    #[test]
    fn a_range_the_window_does_not_offer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let odd = Preferences {
            theme: Theme::Dark,
            range_minutes: 7,
        };
        assert!(odd.save(&Preferences::path_in(dir.path())).is_err());
    }
}
