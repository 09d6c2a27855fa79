//! Build-time version text for Switchyard's binaries. An engineer reporting a problem (or
//! checking what a package installed) needs to name exactly what runs, so `--version` and
//! the window's help show the workspace version and the git commit it was built from.
//!
//! Each binary crate's `build.rs` calls [`emit`], which sets `SWITCHYARD_VERSION` for
//! `env!`, e.g. `0.1.0 (commit e283f24)`. Outside a git checkout (a source tarball) the
//! commit reads `unknown`, unless `$SWITCHYARD_COMMIT` names it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints the cargo directives that set `SWITCHYARD_VERSION` and rerun the build script
/// when the checked-out commit changes (and only then).
pub fn emit() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_else(|_| "unknown".into());
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = std::env::var("SWITCHYARD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&manifest_dir, &["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!(
        "cargo:rustc-env=SWITCHYARD_VERSION={}",
        version_text(&version, &commit)
    );
    println!("cargo:rerun-if-env-changed=SWITCHYARD_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    for path in commit_files(&manifest_dir) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// The text `--version` prints after the program's name.
pub fn version_text(version: &str, commit: &str) -> String {
    format!("{version} (commit {commit})")
}

/// The files whose change means another commit is checked out: `HEAD`, the branch's ref
/// file and `packed-refs`. Only those that exist: cargo reruns a build script on every
/// build while a watched file is missing.
fn commit_files(dir: &Path) -> Vec<PathBuf> {
    let mut names = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(branch);
    }
    names
        .iter()
        .filter_map(|name| git(dir, &["rev-parse", "--git-path", name]))
        .map(|path| dir.join(path))
        .filter(|path| path.is_file())
        .collect()
}

/// The trimmed output of a successful git command run in `dir`; `None` when git is
/// missing or `dir` is not in a checkout.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("switchyard-version-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn run_git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn version_text_names_version_and_commit() {
        assert_eq!(version_text("0.1.0", "e283f24"), "0.1.0 (commit e283f24)");
    }

    #[test]
    fn in_a_checkout_the_commit_is_read_and_its_files_watched() {
        let dir = temp_dir("repo");
        run_git(&dir, &["init", "-q", "-b", "trunk"]);
        std::fs::write(dir.join("a"), "a").unwrap();
        run_git(&dir, &["add", "a"]);
        run_git(
            &dir,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.org",
                "commit",
                "-q",
                "-m",
                "a",
            ],
        );
        let commit = git(&dir, &["rev-parse", "--short", "HEAD"]).unwrap();
        assert!(
            commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{commit}"
        );
        let files = commit_files(&dir);
        assert!(files.contains(&dir.join(".git/HEAD")), "{files:?}");
        assert!(
            files.contains(&dir.join(".git/refs/heads/trunk")),
            "{files:?}"
        );
        // No packed-refs yet: a missing file would make cargo rerun the script every build.
        assert!(files.iter().all(|f| f.is_file()), "{files:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn outside_a_checkout_there_is_no_commit_and_nothing_to_watch() {
        let dir = temp_dir("plain");
        // A `.git` file git cannot read stops it from looking further up for a repository.
        std::fs::write(dir.join(".git"), "not a repository").unwrap();
        assert_eq!(git(&dir, &["rev-parse", "--short", "HEAD"]), None);
        assert!(commit_files(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
