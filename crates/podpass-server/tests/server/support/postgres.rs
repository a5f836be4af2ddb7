//! A throwaway PostgreSQL cluster for tests: initdb in a fresh directory, a free loopback port,
//! trust authentication, stopped (immediately) and deleted when dropped. The binaries come from
//! `PODPASS_PG_BIN`, or the newest `/usr/lib/postgresql/*/bin` (scripts/setup.sh installs
//! `postgresql-15` when it is missing). As root, the cluster runs as the `postgres` user, since
//! initdb refuses root.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One running cluster with a `podpass` database.
pub struct TestDatabase {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl TestDatabase {
    /// Creates and starts a cluster named after the test.
    pub fn start(name: &str) -> TestDatabase {
        let bin = pg_bin();
        let dir = std::env::temp_dir().join(format!("podpass-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if as_root() {
            run(Command::new("chown").arg("postgres:").arg(&dir));
        }
        let database = TestDatabase {
            bin,
            dir,
            port: free_port(),
        };
        database.pg(
            "initdb",
            &[
                "-D",
                &database.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        database.resume();
        database.pg(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &database.port.to_string(),
                "-U",
                "postgres",
                "-q",
                "-c",
                "CREATE DATABASE podpass",
            ],
        );
        database
    }

    /// The connection URL for podpass.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/podpass?sslmode=disable",
            self.port
        )
    }

    /// podpass.hcl's storage block for this database.
    pub fn storage_block(&self) -> String {
        format!(
            "storage \"postgresql\" {{\n  connection_url = \"{}\"\n  max_connections = 4\n}}\n",
            self.url()
        )
    }

    /// Stops the server as a crash would (`-m immediate`: no checkpoint, connections cut).
    pub fn crash(&self) {
        self.pg(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    /// Starts the server again on the same directory and port.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    fn pg(&self, program: &str, args: &[&str]) -> Output {
        run(self.command(program).args(args).current_dir(&self.dir))
    }

    /// A PostgreSQL program, as the postgres user when root (initdb and the server refuse root).
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

fn pg_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PODPASS_PG_BIN") {
        return PathBuf::from(bin);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| Path::new(&bin.join("initdb")).exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server binaries are missing: install postgresql-15 \
             (scripts/setup.sh does) or set PODPASS_PG_BIN"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}
