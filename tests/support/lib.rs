//! The end-to-end harness: the real `switchyard` binary in a real window under Xvfb,
//! driven through WebDriver (tauri-driver in front of Debian's WebKitWebDriver).

pub mod driver;
pub mod webdriver;

use std::path::PathBuf;

use anyhow::{bail, Result};

/// The `switchyard` binary under test: `$SWITCHYARD_BIN`, or the one cargo built next to
/// this test binary (`make test` builds it first).
pub fn app_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SWITCHYARD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let test_exe = std::env::current_exe()?;
    // target/<profile>/deps/e2e-<hash> → target/<profile>/switchyard
    let candidate = test_exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("switchyard"));
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        _ => bail!("the switchyard binary is not built: run `cargo build -p switchyard-app` (make test does) or set SWITCHYARD_BIN"),
    }
}

/// The names of the X windows on the display: the native window title, which WebDriver
/// cannot see (it reads the page's `document.title`).
pub fn x_window_names() -> Result<Vec<String>> {
    let output = std::process::Command::new("xwininfo")
        .args(["-root", "-tree"])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let start = line.find('"')?;
            let end = line[start + 1..].find('"')?;
            Some(line[start + 1..start + 1 + end].to_string())
        })
        .collect())
}

/// Where the repository's `docs/` folder is, for the screenshot the README shows.
pub fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}
