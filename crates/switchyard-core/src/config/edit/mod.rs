//! The configuration file stays the source of truth when the window adds, edits or
//! removes a service: the change is made to the file's own text with `toml_edit`, so
//! comments, order and every key the window does not know (`poll_interval`, streams,
//! mappings, alert rules) are kept; the result is validated exactly as `check-config`
//! validates a file before anything is written, and written atomically (a temporary
//! file in the same folder, flushed to disk, renamed over the old one), so a crash or a
//! refused change never leaves a half-written or invalid file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};
use ts_rs::TS;

use super::{Config, ConfigError};
use crate::secrets::HeaderSource;

/// What a configuration file created by the window starts with.
pub const NEW_FILE_HEADER: &str = "\
# Switchyard's configuration: the services this console watches.
# The window's \"Watch your own services\" adds, edits and removes [[service]] entries
# here; you may edit this file by hand too. Comments and keys the window does not know
# are kept, and a saved change is applied without a restart. Every key is described in
# the README's Configuration section; `switchyard-cli check-config FILE` checks a file.
";

/// The file the window's edits go to: the configuration being watched, else (the demo)
/// `switchyard.toml` in the user's config folder, which the first service creates.
pub fn target_file(
    source: &super::ConfigSource,
    user_config_dir: Option<&Path>,
) -> Option<PathBuf> {
    match source {
        super::ConfigSource::File(path) => Some(path.clone()),
        super::ConfigSource::Demo => user_config_dir.map(|dir| dir.join("switchyard.toml")),
    }
}

/// A service as the window's dialog shows and edits it. Every other key of the
/// service's table is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServiceEntry {
    pub name: String,
    pub base_url: String,
    /// `None`: detected when polling starts.
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Header name and value as written: a reference (`env:NAME`,
    /// `keyring:SERVICE/ACCOUNT`) or, for the few harmless headers, a literal.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// One change the window asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServiceEdit {
    Add {
        entry: ServiceEntry,
    },
    /// Replaces the known keys of the service now called `name`.
    Update {
        name: String,
        entry: ServiceEntry,
    },
    Remove {
        name: String,
    },
}

/// Why a change was not written. The file is untouched in every case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The change would make the configuration invalid: the `check-config` error.
    #[error("{0}")]
    Invalid(ConfigError),
    /// The file as it is now does not parse as TOML, so it cannot be edited safely.
    #[error("{0}")]
    Unreadable(ConfigError),
    #[error("no service is named `{0}` in the configuration")]
    NoSuchService(String),
    #[error("a service is already named `{0}`; choose another name")]
    NameTaken(String),
    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

/// The file after a change: its new text and the configuration it holds.
#[derive(Debug, Clone)]
pub struct Edited {
    pub text: String,
    pub config: Config,
}

/// Reads the services as the dialog shows them, in file order.
pub fn entries(text: &str) -> Result<Vec<ServiceEntry>, EditError> {
    let doc = parse_document(text, None)?;
    let Some(services) = doc.get("service").and_then(Item::as_array_of_tables) else {
        return Ok(Vec::new());
    };
    Ok(services.iter().map(entry_of).collect())
}

/// Applies `edit` to the configuration text and validates the result; writes nothing.
pub fn apply(text: &str, edit: &ServiceEdit, file: Option<&Path>) -> Result<Edited, EditError> {
    let mut doc = parse_document(text, file)?;
    match edit {
        ServiceEdit::Add { entry } => {
            check_entry(entry, file)?;
            if position(&doc, &entry.name).is_some() {
                return Err(EditError::NameTaken(entry.name.clone()));
            }
            // Comments at the end of the file stay above the new service, where they
            // were; a blank line sets it apart from what comes before.
            let trailing = doc.trailing().as_str().unwrap_or_default().to_string();
            doc.set_trailing("");
            let blank = if doc.to_string().trim().is_empty() {
                ""
            } else {
                "\n"
            };
            let mut table = Table::new();
            table.decor_mut().set_prefix(format!("{blank}{trailing}"));
            write_entry(&mut table, entry);
            services_mut(&mut doc, file)?.push(table);
        }
        ServiceEdit::Update { name, entry } => {
            check_entry(entry, file)?;
            let index =
                position(&doc, name).ok_or_else(|| EditError::NoSuchService(name.clone()))?;
            if entry.name != *name && position(&doc, &entry.name).is_some() {
                return Err(EditError::NameTaken(entry.name.clone()));
            }
            let services = services_mut(&mut doc, file)?;
            let table = services
                .get_mut(index)
                .ok_or_else(|| EditError::NoSuchService(name.clone()))?;
            write_entry(table, entry);
        }
        ServiceEdit::Remove { name } => {
            let index =
                position(&doc, name).ok_or_else(|| EditError::NoSuchService(name.clone()))?;
            services_mut(&mut doc, file)?.remove(index);
        }
    }
    let text = doc.to_string();
    let config = Config::parse(&text).map_err(|mut e| {
        e.file = file.map(Path::to_path_buf);
        EditError::Invalid(e)
    })?;
    Ok(Edited { text, config })
}

/// Applies `edit` to the file at `path` (created with [`NEW_FILE_HEADER`] when it does
/// not exist yet) and writes it atomically once the result validates.
pub fn edit_file(path: &Path, edit: &ServiceEdit) -> Result<Edited, EditError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NEW_FILE_HEADER.to_string(),
        Err(e) => {
            return Err(EditError::Unreadable(ConfigError {
                file: Some(path.to_path_buf()),
                line: None,
                message: format!("cannot read the configuration: {e}"),
            }))
        }
    };
    let edited = apply(&text, edit, Some(path))?;
    write_atomically(path, &edited.text).map_err(|e| EditError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    tracing::info!(file = %path.display(), edit = kind(edit), "configuration written");
    Ok(edited)
}

fn kind(edit: &ServiceEdit) -> &'static str {
    match edit {
        ServiceEdit::Add { .. } => "add",
        ServiceEdit::Update { .. } => "update",
        ServiceEdit::Remove { .. } => "remove",
    }
}

/// Writes `text` to `path` so that a reader sees the old file or the new one, never a
/// part: a temporary file in the same folder (so the rename stays on one file system),
/// flushed to disk, then renamed over `path`, then the folder flushed so the rename
/// itself survives a crash. Creates the folder when missing.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".switchyard-")
        .suffix(".toml.tmp")
        .tempfile_in(&dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    // Keep the permissions of the file being replaced (it may be private).
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(temp.path(), meta.permissions())?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    if let Ok(folder) = std::fs::File::open(&dir) {
        // Not every file system can flush a folder; the rename is done either way.
        let _ = folder.sync_all();
    }
    Ok(())
}

fn parse_document(text: &str, file: Option<&Path>) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>().map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        EditError::Unreadable(ConfigError {
            file: file.map(Path::to_path_buf),
            line,
            message: format!(
                "not valid TOML, so the window cannot change it: {}; fix it by hand",
                e.message()
            ),
        })
    })
}

/// Checks what the dialog can check before the file is touched: header values are
/// references (a typed secret never reaches the file).
fn check_entry(entry: &ServiceEntry, file: Option<&Path>) -> Result<(), EditError> {
    for (header, value) in &entry.headers {
        HeaderSource::parse(header, value).map_err(|message| {
            EditError::Invalid(ConfigError {
                file: file.map(Path::to_path_buf),
                line: None,
                message: format!("service `{}`: {message}", entry.name),
            })
        })?;
    }
    Ok(())
}

fn position(doc: &DocumentMut, name: &str) -> Option<usize> {
    doc.get("service")?
        .as_array_of_tables()?
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
}

fn services_mut<'d>(
    doc: &'d mut DocumentMut,
    file: Option<&Path>,
) -> Result<&'d mut toml_edit::ArrayOfTables, EditError> {
    let item = doc
        .entry("service")
        .or_insert_with(|| Item::ArrayOfTables(Default::default()));
    item.as_array_of_tables_mut().ok_or_else(|| {
        EditError::Unreadable(ConfigError {
            file: file.map(Path::to_path_buf),
            line: None,
            message: "`service` is not written as [[service]] tables, so the window cannot change it; edit it by hand".into(),
        })
    })
}

fn entry_of(table: &Table) -> ServiceEntry {
    let text = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_string);
    let tags = table
        .get("tags")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let headers = table
        .get("headers")
        .and_then(Item::as_table_like)
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    ServiceEntry {
        name: text("name").unwrap_or_default(),
        base_url: text("base_url").unwrap_or_default(),
        profile: text("profile"),
        tags,
        headers,
    }
}

/// Sets the keys the dialog knows on `table`, leaving every other key (and the
/// decoration of those it rewrites) as it was.
fn write_entry(table: &mut Table, entry: &ServiceEntry) {
    set_str(table, "name", Some(entry.name.trim()));
    set_str(
        table,
        "base_url",
        Some(entry.base_url.trim().trim_end_matches('/')),
    );
    set_str(
        table,
        "profile",
        entry
            .profile
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty()),
    );
    if entry.tags.is_empty() {
        table.remove("tags");
    } else {
        let tags: Array = entry.tags.iter().map(|t| t.trim()).collect();
        set_value(table, "tags", Value::Array(tags));
    }
    if entry.headers.is_empty() {
        table.remove("headers");
    } else {
        let mut headers = InlineTable::new();
        for (name, value) in &entry.headers {
            headers.insert(name.trim(), Value::from(value.trim()));
        }
        match table.get_mut("headers") {
            // Written as a [service.headers] table by hand: keep that form.
            Some(Item::Table(existing)) => {
                existing.clear();
                for (name, value) in headers.iter() {
                    existing.insert(name, Item::Value(value.clone()));
                }
            }
            _ => set_value(table, "headers", Value::InlineTable(headers)),
        }
    }
}

fn set_str(table: &mut Table, key: &str, value: Option<&str>) {
    match value {
        Some(value) => set_value(table, key, Value::from(value)),
        None => {
            table.remove(key);
        }
    }
}

/// Replaces a value, keeping a comment written after it on its line.
fn set_value(table: &mut Table, key: &str, mut value: Value) {
    if let Some(Item::Value(old)) = table.get(key) {
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(value));
}

#[cfg(test)]
mod tests;
