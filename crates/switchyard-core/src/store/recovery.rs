//! Opening a database that may be damaged: `PRAGMA quick_check` first; a file that is
//! not a database or fails the check is moved aside with a timestamp
//! (`history.db.corrupt-20261123T101500`) and a fresh one is created, so the console
//! starts with an empty history rather than not at all, and says so.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::clock::Clock;

/// What opening found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The damaged database was moved here and a fresh one created in its place.
    pub recovered_from: Option<PathBuf>,
    /// What was wrong with it, as SQLite said.
    pub damage: Option<String>,
}

/// Why a database is unusable, or `None` if it is fine (or does not exist yet).
/// Errors that say nothing about the file's content (permissions, I/O) are returned as
/// errors, never treated as damage: moving a healthy file aside would lose history.
pub(super) async fn damage(path: &Path) -> Result<Option<String>, sqlx::Error> {
    if !path.exists() {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(false);
    let mut connection = match options.connect().await {
        Ok(connection) => connection,
        Err(e) if is_damage(&e) => return Ok(Some(e.to_string())),
        Err(e) => return Err(e),
    };
    let result: Result<Vec<String>, sqlx::Error> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(&mut connection)
        .await;
    let _ = connection.close().await;
    match result {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(None),
        Ok(lines) => Ok(Some(lines.join("; "))),
        Err(e) if is_damage(&e) => Ok(Some(e.to_string())),
        Err(e) => Err(e),
    }
}

/// SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), with their extended codes.
fn is_damage(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => e
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 11 | 26)),
        _ => false,
    }
}

/// Moves the database (and its WAL, which belongs to it) aside; the shared-memory file
/// is only an index of the WAL and is removed. Returns the new path.
pub(super) fn move_aside(path: &Path, clock: &dyn Clock) -> std::io::Result<PathBuf> {
    let stamp = clock.now().format("%Y%m%dT%H%M%S").to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "history.db".into());
    let mut target = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &target)?;
    let sibling = |p: &Path, suffix: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    let wal = sibling(path, "-wal");
    if wal.exists() {
        std::fs::rename(&wal, sibling(&target, "-wal"))?;
    }
    let shm = sibling(path, "-shm");
    if shm.exists() {
        std::fs::remove_file(&shm)?;
    }
    Ok(target)
}
