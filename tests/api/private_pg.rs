//! A PostgreSQL server of the test's own: `initdb` into a temporary directory with the
//! machine's PostgreSQL binaries, started on a free loopback port, stopped and started again
//! at will. Tests that take the database away (a restart under load) or change how the server
//! listens (TLS) use one, never the shared server the rest of the suite runs on.
//!
//! The binaries come from `TEST_PG_BINDIR`, else `pg_config --bindir`, else the newest
//! `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root, so as root the server runs as
//! the `postgres` user (`runuser`), which then owns the directory.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

/// A running (or stopped) private server. Stopped at once when dropped.
pub struct PrivatePg {
    pub port: u16,
    dir: tempfile::TempDir,
    bindir: PathBuf,
    run_as_postgres: bool,
}

fn bindir() -> PathBuf {
    if let Ok(dir) = std::env::var("TEST_PG_BINDIR") {
        return dir.into();
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL binaries (set TEST_PG_BINDIR)")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().expect("no initdb under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PrivatePg {
    /// `initdb` and start. `conf` lines are appended to `postgresql.conf` (e.g. TLS settings);
    /// `files` are written into the data directory first (certificates), owned by the server.
    /// Blocking: call it from `spawn_blocking` or before the runtime matters.
    pub fn start(conf: &[String], files: &[(&str, &[u8])]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("brandhouse-private-pg-")
            .tempdir()
            .unwrap();
        let pg = Self {
            port: free_port(),
            dir,
            bindir: bindir(),
            run_as_postgres: is_root(),
        };
        if pg.run_as_postgres {
            pg.run("chown", &["-R", "postgres:postgres", &pg.path(".")], false);
        }
        pg.run(
            "initdb",
            &[
                "-D",
                &pg.path("data"),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            true,
        );
        let mut settings = vec![
            "listen_addresses = '127.0.0.1'".to_owned(),
            format!("port = {}", pg.port),
            format!("unix_socket_directories = '{}'", pg.path(".")),
            "fsync = off".to_owned(),
            "synchronous_commit = off".to_owned(),
            "full_page_writes = off".to_owned(),
            "max_connections = 60".to_owned(),
            "shared_buffers = 32MB".to_owned(),
        ];
        settings.extend(conf.iter().cloned());
        let conf_file = Path::new(&pg.path("data")).join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_file).unwrap();
        text.push('\n');
        text.push_str(&settings.join("\n"));
        text.push('\n');
        std::fs::write(&conf_file, text).unwrap();
        for (name, bytes) in files {
            let path = Path::new(&pg.path("data")).join(name);
            std::fs::write(&path, bytes).unwrap();
            pg.run("chmod", &["0600", &path.display().to_string()], false);
            if pg.run_as_postgres {
                pg.run(
                    "chown",
                    &["postgres:postgres", &path.display().to_string()],
                    false,
                );
            }
        }
        pg.start_again();
        pg
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Runs a command (a PostgreSQL binary when `pg`), as `postgres` when running as root.
    fn run(&self, program: &str, args: &[&str], pg: bool) {
        let program = if pg {
            self.bindir.join(program).display().to_string()
        } else {
            program.to_owned()
        };
        let mut cmd = if pg && self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &program]);
            c
        } else {
            Command::new(&program)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start_again(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.path("data"),
                "-l",
                &self.path("server.log"),
                "-w",
                "-t",
                "30",
                "start",
            ],
            true,
        );
    }

    /// Stops the server the way an orchestrator restarting it does (`-m fast`: open sessions
    /// are terminated, in-flight transactions rolled back) and waits until it is down.
    pub fn stop(&self) -> std::time::Duration {
        let started = Instant::now();
        self.run(
            "pg_ctl",
            &["-D", &self.path("data"), "-m", "fast", "-w", "stop"],
            true,
        );
        started.elapsed()
    }

    /// A URL for `user` on database `db` of this server (trust authentication).
    pub fn url(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let ctl = self.bindir.join("pg_ctl").display().to_string();
        let data = self.path("data");
        let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
        let _ = if self.run_as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--", &ctl])
                .args(args)
                .output()
        } else {
            Command::new(&ctl).args(args).output()
        };
    }
}
