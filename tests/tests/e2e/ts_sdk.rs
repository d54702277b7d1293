//! The official MCP TypeScript SDK (`tests/ts-sdk`, run with Node) connects by every loopback name
//! to a server whose issuer is derived (`http://localhost:PORT`): it compares the protected
//! resource's `resource` with the URL it was given, so `127.0.0.1` used to fail.
//!
//! Needs `npm ci` in `tests/ts-sdk` (`.ci/run` does it); without it the test prints a note and
//! passes, unless `MCP_REQUIRE_TS_SDK` is set (CI sets it).

use std::path::PathBuf;
use std::process::Command;

use mcp_oauth_tests::TestServer;
use serde_json::Value;

/// `tests/ts-sdk`, if its packages are installed.
fn sdk_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ts-sdk");
    if dir.join("node_modules/@modelcontextprotocol/sdk").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("MCP_REQUIRE_TS_SDK").is_none(),
        "the TypeScript SDK is not installed: run npm ci in {}",
        dir.display()
    );
    eprintln!(
        "skipped: the TypeScript SDK is not installed (npm ci in {})",
        dir.display()
    );
    None
}

/// Runs the SDK client against `mcp_url`; what it printed.
async fn connect(dir: PathBuf, mcp_url: String) -> Value {
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("connect.mjs")
            .arg(&mcp_url)
            .current_dir(dir)
            .output()
            .expect("node runs")
    })
    .await
    .expect("the SDK run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the SDK failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one JSON line")
}

#[tokio::test]
async fn the_typescript_sdk_connects_by_every_loopback_name() {
    let Some(dir) = sdk_dir() else {
        return;
    };
    let server = TestServer::start_derived(&[]).await;
    let port = server.base.rsplit(':').next().expect("a port").to_owned();
    for host in ["127.0.0.1", "localhost"] {
        let seen = connect(dir.clone(), format!("http://{host}:{port}/mcp")).await;
        assert!(
            seen["tools"]
                .as_array()
                .is_some_and(|tools| tools.iter().any(|t| t == "store_memory")),
            "{host}: {seen}"
        );
        assert_eq!(seen["stored"]["stored"], true, "{host}: {seen}");
    }
    // Listening on [::1] (MCP_HTTP_HOST=::1), reached by that name.
    let v6 = TestServer::start_derived_at("::1", &[]).await;
    let port = v6.base.rsplit(':').next().expect("a port").to_owned();
    let seen = connect(dir, format!("http://[::1]:{port}/mcp")).await;
    assert_eq!(seen["stored"]["stored"], true, "[::1]: {seen}");
}
