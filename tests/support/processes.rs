//! The app's processes as the long-running measurements see them (the soak and the
//! window bench, `tests/examples/soak.rs`): the `switchyard` process and its WebKit
//! descendants, their proportional set size, CPU time and start time, all read from
//! `/proc`, so what is measured is what the kernel accounted, not what the app says.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Result};

/// `/proc` counts CPU time and start times in clock ticks of `USER_HZ`, which Linux
/// fixes at 100 for every architecture it reports to user space.
const TICKS_PER_SECOND: u64 = 100;

/// The processes running `app` and their descendants (WebKit's web and network
/// processes), as found at one moment.
#[derive(Debug, Clone)]
pub struct AppFamily {
    /// The processes running the app binary itself.
    pub app: Vec<u32>,
    /// Every descendant of those, to any depth.
    pub webkit: Vec<u32>,
    /// WebKit web processes outside the family, seen at the same moment: other windows
    /// whose shared libraries split the file-backed part of the PSS with this one, so
    /// that the family's PSS rises when they end although it allocated nothing.
    pub other_webkit: usize,
}

/// Memory (KiB) and CPU time (ticks) of one side of the family, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub pss_kib: u64,
    /// The anonymous part of the PSS: what the processes allocated themselves. Unlike the
    /// file-backed part (shared libraries), it does not change when another process that
    /// maps the same libraries starts or ends.
    pub anon_pss_kib: u64,
    pub cpu_ticks: u64,
}

impl AppFamily {
    /// Finds every process running `app` and their descendants.
    pub fn of(app: &Path) -> Result<AppFamily> {
        let processes = all_processes()?;
        let roots: HashSet<u32> = processes
            .iter()
            .filter(|p| p.exe == app)
            .map(|p| p.pid)
            .collect();
        if roots.is_empty() {
            bail!("no process runs {}", app.display());
        }
        let mut app: Vec<u32> = roots.iter().copied().collect();
        let mut webkit: Vec<u32> = descendants(&processes, &roots).into_iter().collect();
        app.sort_unstable();
        webkit.sort_unstable();
        let other_webkit = processes
            .iter()
            .filter(|p| {
                p.exe.ends_with("WebKitWebProcess") && webkit.binary_search(&p.pid).is_err()
            })
            .count();
        Ok(AppFamily {
            app,
            webkit,
            other_webkit,
        })
    }

    /// How many processes the family has.
    pub fn len(&self) -> usize {
        self.app.len() + self.webkit.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The app's and the WebKit processes' usage now (a process that ended counts 0).
    pub fn usage(&self) -> (Usage, Usage) {
        let sum = |pids: &[u32]| {
            pids.iter().fold(Usage::default(), |acc, pid| {
                let (pss, anon) = pss_and_anon_kib(*pid).unwrap_or_default();
                Usage {
                    pss_kib: acc.pss_kib + pss,
                    anon_pss_kib: acc.anon_pss_kib + anon,
                    cpu_ticks: acc.cpu_ticks + cpu_ticks(*pid).unwrap_or(0),
                }
            })
        };
        (sum(&self.app), sum(&self.webkit))
    }

    /// When the (first) app process started.
    pub fn started_at(&self) -> Option<SystemTime> {
        self.app.first().and_then(|pid| started_at(*pid))
    }
}

/// CPU time over `ticks` as a percentage of one core during `over`.
pub fn percent_of_a_core(ticks: u64, over: Duration) -> f64 {
    ticks as f64 / TICKS_PER_SECOND as f64 / over.as_secs_f64() * 100.0
}

/// Every descendant of `roots`, to any depth, roots excluded.
fn descendants(processes: &[Process], roots: &HashSet<u32>) -> HashSet<u32> {
    let mut family = roots.clone();
    loop {
        let before = family.len();
        for p in processes {
            if family.contains(&p.ppid) {
                family.insert(p.pid);
            }
        }
        if family.len() == before {
            return family.difference(roots).copied().collect();
        }
    }
}

/// The descendants of `pid` now, each with its start time in ticks since boot, so that
/// one can later be told apart from a new process given the same number.
pub fn descendants_of(pid: u32) -> Vec<(u32, u64)> {
    let Ok(processes) = all_processes() else {
        return Vec::new();
    };
    descendants(&processes, &HashSet::from([pid]))
        .into_iter()
        .filter_map(|pid| Some((pid, stat_field(pid, 19)?)))
        .collect()
}

/// Whether `pid` is still the process that started at `start` (ticks since boot).
pub fn still_running(pid: u32, start: u64) -> bool {
    stat_field(pid, 19) == Some(start) && stat_field_text(pid, 0).as_deref() != Some("Z")
}

struct Process {
    pid: u32,
    ppid: u32,
    exe: PathBuf,
}

fn all_processes() -> Result<Vec<Process>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // A process may end while it is read: then it is not there.
        let Some(ppid) = stat_field(pid, 1) else {
            continue;
        };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        out.push(Process {
            pid,
            ppid: ppid as u32,
            exe,
        });
    }
    Ok(out)
}

/// Field `index` of `/proc/PID/stat` counted after the parenthesised command name
/// (0 is the state, 1 the parent, 11 and 12 utime and stime, 19 the start time).
fn stat_field(pid: u32, index: usize) -> Option<u64> {
    stat_field_text(pid, index)?.parse().ok()
}

fn stat_field_text(pid: u32, index: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(index).map(str::to_string)
}

/// utime + stime of a process, in ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    Some(stat_field(pid, 11)? + stat_field(pid, 12)?)
}

/// `Pss:` and `Pss_Anon:` of `/proc/PID/smaps_rollup`, in KiB, from one read.
fn pss_and_anon_kib(pid: u32) -> Option<(u64, u64)> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("Pss:")?, field("Pss_Anon:").unwrap_or(0)))
}

/// When a process started: its start time in ticks since boot, set against the time
/// since boot now (`/proc/uptime`, to the hundredth; `btime` in `/proc/stat` is only to
/// the second); to the tick (10 ms).
pub fn started_at(pid: u32) -> Option<SystemTime> {
    let started = Duration::from_millis(stat_field(pid, 19)? * 1000 / TICKS_PER_SECOND);
    let now = SystemTime::now();
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let ago = Duration::from_secs_f64(uptime).checked_sub(started)?;
    now.checked_sub(ago)
}
