//! A real SurrealDB server on loopback, for the replica and outage tests: the binary built by
//! `.ci/run` from `tools/surrealdb-server` (the crates.io `surrealdb-server` package).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `.ci/run` builds the server.
const DEFAULT_BINARY: &str = "/var/cache/mcp-oauth/surreal-server/debug/surreal";

/// A running SurrealDB server with root credentials `root`/`root`, on disk so it can be restarted
/// with its data.
pub struct SurrealServer {
    binary: PathBuf,
    /// The port it listens on.
    pub port: u16,
    data: PathBuf,
    child: Option<Child>,
}

impl SurrealServer {
    /// Starts a server; `None` (with a note) when the binary is not built, unless
    /// `MCP_REQUIRE_SURREAL_SERVER` is set (as CI sets it), which makes that a failure.
    pub fn start() -> Option<Self> {
        let binary = PathBuf::from(
            std::env::var("MCP_TEST_SURREAL_BIN").unwrap_or_else(|_| DEFAULT_BINARY.to_owned()),
        );
        if !binary.exists() {
            assert!(
                std::env::var_os("MCP_REQUIRE_SURREAL_SERVER").is_none(),
                "no SurrealDB server at {}: build it with .ci/run",
                binary.display()
            );
            eprintln!(
                "skipped: no SurrealDB server at {} (.ci/run builds it)",
                binary.display()
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let data = std::env::temp_dir().join(format!("mcp-surreal-{}-{port}", std::process::id()));
        let mut server = Self {
            binary,
            port,
            data,
            child: None,
        };
        server.resume();
        Some(server)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as an outage would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data; returns when it answers `/health` with
    /// 200 (an open port alone is not enough: under load, a sign-in right after the port opened
    /// was reset).
    pub fn resume(&mut self) {
        let child = Command::new(&self.binary)
            .args(["start", "--no-banner", "--log", "warn", "--bind"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["--user", "root", "--pass", "root"])
            .arg(format!("surrealkv://{}", self.data.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the SurrealDB server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.healthy() {
            assert!(
                Instant::now() < deadline,
                "the SurrealDB server was not healthy within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the server answers `GET /health` with 200.
    fn healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!(
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        let mut answer = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.1 200")
    }
}

impl Drop for SurrealServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
