//! Starting the `memory` binary as a deployer does, for the tests that need a whole process
//! (its logs, a crash).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `memory server --http` and the address its start-up block printed.
pub struct RunningServer {
    /// The process; its standard error is piped (the logs).
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Starts `memory server --http` on an ephemeral port with only `env` (and `PATH`) set, and
/// waits for the start-up block's `listening` line.
pub fn start_server(env: &[(&str, &str)]) -> RunningServer {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memory"))
        .args(["server", "--http"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MCP_HTTP_PORT", "0")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(address) = line.trim().strip_prefix("listening  ") {
            let base = address.to_owned();
            // Keep reading (and dropping) the rest, so the server never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return RunningServer { child, base };
        }
        line.clear();
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("the server ended");
    panic!(
        "the server printed no address: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The `code` parameter of the redirect `response` sends the browser on with (a 302 from
/// `/oauth/authorize`).
pub fn code_in(response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .expect("a readable Location");
    url::Url::parse(location)
        .expect("an absolute Location")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .expect("a code in the redirect")
        .1
        .into_owned()
}
