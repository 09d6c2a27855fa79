//! A real DNS server on loopback for the discovery tests: Debian's `dnsmasq` as a child
//! process, answering A records from a hosts folder it watches (so records can come
//! and go while it runs) and SRV records from its configuration (changed by a
//! restart on the same port). Names under `internal` that it does not know get
//! NXDOMAIN, as a real zone would answer.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// One SRV record: `_http._tcp.payments.internal` → `target:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    pub name: String,
    pub target: String,
    pub port: u16,
}

/// The running server; dropping it stops it.
pub struct LoopbackDns {
    folder: tempfile::TempDir,
    address: SocketAddr,
    srv: Vec<SrvRecord>,
    child: Option<Child>,
}

impl LoopbackDns {
    /// A server answering `hosts` (name → addresses) and `srv`.
    pub async fn start(hosts: &[(&str, &[&str])], srv: &[SrvRecord]) -> io::Result<Self> {
        let folder = tempfile::tempdir()?;
        std::fs::create_dir(folder.path().join("hosts"))?;
        let port = free_udp_port()?;
        let mut dns = LoopbackDns {
            folder,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            srv: srv.to_vec(),
            child: None,
        };
        dns.set_hosts(hosts)?;
        dns.spawn().await?;
        Ok(dns)
    }

    /// `127.0.0.1:PORT`, where it answers over UDP and TCP.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Replaces the A records; dnsmasq notices the file change by itself (inotify).
    pub fn set_hosts(&self, hosts: &[(&str, &[&str])]) -> io::Result<()> {
        let mut text = String::new();
        for (name, addresses) in hosts {
            for address in *addresses {
                text.push_str(&format!("{address} {name}\n"));
            }
        }
        // Written beside and renamed, so dnsmasq never reads half a file.
        let staged = self.folder.path().join("hosts.staged");
        std::fs::write(&staged, text)?;
        std::fs::rename(staged, self.hosts_file())
    }

    /// Replaces the SRV records: dnsmasq reads them at start, so it restarts on the same
    /// port.
    pub async fn set_srv(&mut self, srv: &[SrvRecord]) -> io::Result<()> {
        self.srv = srv.to_vec();
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        self.spawn().await
    }

    /// What dnsmasq logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("dnsmasq.log")).unwrap_or_default()
    }

    fn hosts_file(&self) -> PathBuf {
        self.folder.path().join("hosts").join("fleet")
    }

    /// Starts dnsmasq; when it exits at once because its port is still (or briefly)
    /// taken — a restart right after the old process died, or another test's socket on
    /// the same TCP port — it tries again for a few seconds.
    async fn spawn(&mut self) -> io::Result<()> {
        let started = Instant::now();
        loop {
            match self.spawn_once().await {
                Err(e)
                    if e.kind() == io::ErrorKind::AddrInUse
                        && started.elapsed() < Duration::from_secs(5) =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                done => return done,
            }
        }
    }

    async fn spawn_once(&mut self) -> io::Result<()> {
        let conf = self.folder.path().join("dnsmasq.conf");
        let mut text = String::from("local=/internal/\n");
        for record in &self.srv {
            text.push_str(&format!(
                "srv-host={},{},{}\n",
                record.name, record.target, record.port
            ));
        }
        std::fs::write(&conf, text)?;
        let args = [
            "--keep-in-foreground".to_owned(),
            format!("--conf-file={}", conf.display()),
            format!("--port={}", self.address.port()),
            "--listen-address=127.0.0.1".to_owned(),
            "--bind-interfaces".to_owned(),
            "--no-resolv".to_owned(),
            "--no-hosts".to_owned(),
            format!(
                "--hostsdir={}",
                self.hosts_file()
                    .parent()
                    .unwrap_or(Path::new("."))
                    .display()
            ),
            // As root dnsmasq would switch to its own user, who cannot read this folder.
            "--user=root".to_owned(),
            "--pid-file=".to_owned(),
            format!(
                "--log-facility={}",
                self.folder.path().join("dnsmasq.log").display()
            ),
        ];
        let child = Command::new("dnsmasq")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot start dnsmasq: {e} (scripts/install-system-deps.sh installs it)"
                    ),
                )
            })?;
        self.child = Some(child);
        self.await_answering().await
    }

    /// Waits until dnsmasq answers a query (for a name it refuses, which is enough).
    async fn await_answering(&mut self) -> io::Result<()> {
        let started = Instant::now();
        loop {
            if answers(self.address) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    // dnsmasq exits 2 on a network error: its port is taken.
                    let kind = if status.code() == Some(2) {
                        io::ErrorKind::AddrInUse
                    } else {
                        io::ErrorKind::Other
                    };
                    return Err(io::Error::new(
                        kind,
                        format!("dnsmasq exited ({status}): {}", self.log()),
                    ));
                }
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("dnsmasq not answering after 20 s: {}", self.log()),
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Whether a DNS server answers at `address`: one query for `ready.internal`, any reply.
fn answers(address: SocketAddr) -> bool {
    let Ok(socket) = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)) else {
        return false;
    };
    let _ = socket.set_read_timeout(Some(Duration::from_millis(200)));
    // Header: id, recursion desired, one question; then `ready.internal` A IN.
    let mut query = vec![0x53, 0x59, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["ready", "internal"] {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    if socket.send_to(&query, address).is_err() {
        return false;
    }
    let mut reply = [0u8; 512];
    matches!(socket.recv_from(&mut reply), Ok((n, _)) if n >= 12 && reply[..2] == [0x53, 0x59])
}

/// A port free for UDP and for TCP (dnsmasq listens on both).
fn free_udp_port() -> io::Result<u16> {
    for _ in 0..50 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = udp.local_addr()?.port();
        if std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::other(
        "no port free for both UDP and TCP on 127.0.0.1",
    ))
}
