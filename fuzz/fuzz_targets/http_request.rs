//! The whole HTTP surface, in process: any method, route, query, headers and body reach the real
//! endpoint (HS256) and get an answer that is not a server error. A panic anywhere, or a 500, is a
//! crash. The storage is the in-memory one, or with `MCP_FUZZ_STORAGE=surrealkv` the default
//! storage, SurrealDB on an embedded `surrealkv://` database in a fresh temporary directory.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use clap::Parser as _;
use libfuzzer_sys::fuzz_target;
use mcp_oauth_core::{ManualClock, PluginSettings};
use mcp_oauth_server::{App, Cli, Command};
use poem::Endpoint;
use poem::endpoint::BoxEndpoint;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "OPTIONS"];
const PATHS: [&str; 16] = [
    "/oauth/register",
    "/oauth/authorize",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/clients/",
    "/oauth/jwks.json",
    "/oauth/keys/rotate",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource/mcp",
    "/api/memories",
    "/api/memories/",
    "/api/search",
    "/api/search/by-tag",
    "/mcp",
    "/docs",
];
const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
];
const HEADERS: [&str; 6] = [
    "authorization",
    "x-api-key",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "host",
];

/// One request, shaped so that the fuzzer mostly reaches real routes.
#[derive(Debug, Arbitrary)]
struct Input {
    method: u8,
    path: u8,
    path_tail: String,
    query: String,
    content_type: u8,
    headers: Vec<(u8, String)>,
    body: Vec<u8>,
}

fn endpoint() -> &'static (tokio::runtime::Runtime, BoxEndpoint<'static>) {
    static APP: OnceLock<(tokio::runtime::Runtime, BoxEndpoint<'static>)> = OnceLock::new();
    APP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let surrealkv = std::env::var("MCP_FUZZ_STORAGE").is_ok_and(|name| name == "surrealkv");
        let mut plugin_settings = PluginSettings::default();
        if surrealkv {
            let dir = std::env::temp_dir().join(format!("mcp-fuzz-surrealkv-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            plugin_settings.set("MCP_OAUTH_STORAGE_URL", format!("surrealkv://{}", dir.display()));
        }
        let cli = Cli::try_parse_from([
            "memory",
            "server",
            "--http",
            "--oauth-storage-backend",
            if surrealkv { "surrealdb" } else { "memory" },
            "--oauth-signer",
            "hs256",
            "--oauth-rate-limit-per-minute",
            "0",
            "--api-key",
            "owner-key-0123456789",
            "--oauth-auto-approve",
            "true",
            "--oauth-issuer",
            "http://127.0.0.1:8000",
        ])
        .expect("valid flags");
        let Command::Server(server) = cli.command else {
            unreachable!("the server subcommand was given")
        };
        let clock = std::sync::Arc::new(ManualClock::new(1_800_000_000));
        let local = "127.0.0.1:8000".parse().expect("address");
        let app = runtime
            .block_on(App::build(
                &server.settings,
                plugin_settings,
                local,
                clock,
            ))
            .expect("the server builds");
        (runtime, app.endpoint)
    })
}

fuzz_target!(|input: Input| {
    let (runtime, endpoint) = endpoint();
    let path = PATHS[usize::from(input.path) % PATHS.len()];
    let mut uri = format!("{path}{}", input.path_tail);
    if !input.query.is_empty() {
        uri = format!("{uri}?{}", input.query);
    }
    let Ok(uri) = uri.parse::<poem::http::Uri>() else {
        return;
    };
    let method = METHODS[usize::from(input.method) % METHODS.len()];
    let mut request = poem::Request::builder()
        .method(method.parse().expect("a method"))
        .uri(uri)
        .header("host", "127.0.0.1:8000");
    let content_type = CONTENT_TYPES[usize::from(input.content_type) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        request = request.header("content-type", content_type);
    }
    for (name, value) in &input.headers {
        let name = HEADERS[usize::from(*name) % HEADERS.len()];
        if let Ok(value) = poem::http::HeaderValue::from_str(value) {
            request = request.header(name, value);
        }
    }
    let request = request.body(input.body);
    let response = runtime.block_on(endpoint.get_response(request));
    assert!(
        !response.status().is_server_error(),
        "{method} {path}: {}",
        response.status()
    );
});
