//! Who is at the keyboard, as the audit log, acknowledgements, silences and saved rules
//! record it. One lookup for all of them: the configuration's `operator` when set (a
//! shared on-call account), else the OS user from the environment, else the account's
//! name from the password database (a desktop session started without `$USER`), else
//! the numeric user id. Never "unknown" on a desktop.

use std::path::Path;

/// The operator's name: `configured` when given, else the OS user.
pub fn operator(configured: Option<&str>) -> String {
    if let Some(name) = configured.map(str::trim).filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    from_environment()
        .or_else(|| {
            let uid = current_uid()?;
            Some(from_passwd(Path::new("/etc/passwd"), uid).unwrap_or_else(|| format!("uid {uid}")))
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn from_environment() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|key| std::env::var(key).ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
}

/// The real user id, from `/proc/self/status` (no `unsafe` call to `getuid` needed).
fn current_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The login name of `uid` in a passwd-format file.
fn from_passwd(path: &Path, uid: u32) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let id: u32 = fields.next()?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_operator_wins_and_blank_means_the_os_user() {
        assert_eq!(operator(Some("  night-shift ")), "night-shift");
        assert_eq!(operator(Some("  ")), operator(None));
        assert_ne!(operator(None), "unknown");
    }

    #[test]
    fn the_passwd_entry_names_the_uid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("passwd");
        std::fs::write(
            &path,
            "root:x:0:0:root:/root:/bin/bash\nbroken line\nana:x:1000:1000:Ana,,,:/home/ana:/bin/bash\n",
        )
        .unwrap();
        assert_eq!(from_passwd(&path, 1000).as_deref(), Some("ana"));
        assert_eq!(from_passwd(&path, 0).as_deref(), Some("root"));
        assert_eq!(from_passwd(&path, 42), None);
        assert!(current_uid().is_some(), "Linux has /proc/self/status");
    }
}
