//! The logs of a whole OAuth flow, at debug level, contain no secret, code or token.

mod common;

use std::io::Read;

#[test]
fn no_secret_code_or_token_reaches_the_logs() {
    let common::RunningServer { mut child, base } = common::start_server(&[
        ("MCP_OAUTH_STORAGE_BACKEND", "memory"),
        ("MCP_API_KEY", "the-owner-api-key-0123456789"),
        ("MCP_OAUTH_AUTO_APPROVE", "true"),
        ("RUST_LOG", "debug"),
    ]);
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "the start-up block names the address"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secrets = runtime.block_on(flow(&base));
    let _ = child.kill();
    let _ = child.wait();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(
        logs.contains("request"),
        "the access log ran at debug level: {logs}"
    );
    for secret in secrets {
        assert!(
            !logs.contains(&secret),
            "a secret reached the logs: {secret}"
        );
    }
}

/// A registration, an authorization, a token exchange, a refresh and API calls with the token and
/// the API key (in the query too); returns every secret they used.
async fn flow(base: &str) -> Vec<String> {
    // reqwest is built without a provider of its own (see the server's start-up).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client: serde_json::Value = http
        .post(format!("{base}/oauth/register"))
        .json(&serde_json::json!({"redirect_uris": ["https://example.com/cb"], "grant_types": ["authorization_code", "refresh_token"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = client["client_id"].as_str().unwrap().to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    let response = http
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &id),
            ("redirect_uri", "https://example.com/cb"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    let code = common::code_in(&response);
    let tokens: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://example.com/cb"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let ok = http
        .get(format!("{base}/api/memories"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), reqwest::StatusCode::OK);
    let key = "the-owner-api-key-0123456789".to_owned();
    let by_query = http
        .get(format!("{base}/api/memories"))
        .query(&[("api_key", &key)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), reqwest::StatusCode::OK);
    vec![secret, code, access, refresh, second, key]
}

/// One registration request as a proxy forwards it, naming the client in `X-Forwarded-For`.
fn register_through_a_proxy(base: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{base}/oauth/register"))
            .header("x-forwarded-for", "203.0.113.7")
            .header("x-request-id", "proxy-req-42")
            .header("user-agent", "claude-code/2.1")
            .json(&serde_json::json!({"redirect_uris": ["http://127.0.0.1:4000/cb"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        assert_eq!(response.headers()["x-request-id"], "proxy-req-42");
    });
}

/// The JSON log line of the registration request in `path`, waiting briefly for it.
fn registration_line(path: &std::path::Path) -> serde_json::Value {
    for _ in 0..50 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let found = text
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON"))
            .find(|line| line["path"] == "/oauth/register");
        if let Some(line) = found {
            return line;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no log line for the registration in {}", path.display());
}

#[test]
fn json_logs_name_the_client_a_trusted_proxy_forwarded() {
    let dir = std::env::temp_dir().join(format!("memory-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let trusted = dir.join("trusted.log");
    let common::RunningServer { mut child, base } = common::start_server(&[
        ("MCP_OAUTH_STORAGE_BACKEND", "memory"),
        ("MCP_LOG_FORMAT", "json"),
        ("MCP_LOG_FILE", trusted.to_str().unwrap()),
        ("MCP_TRUSTED_PROXIES", "127.0.0.1,::1"),
    ]);
    register_through_a_proxy(&base);
    let line = registration_line(&trusted);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line["target"], "oauth", "{line}");
    assert_eq!(line["client"], "203.0.113.7", "{line}");
    assert_eq!(line["user_agent"], "claude-code/2.1", "{line}");
    assert_eq!(line["status"], 201, "{line}");
    assert_eq!(line["span"]["id"], "proxy-req-42", "{line}");

    // From a peer that is not a listed proxy, the header is the caller's claim and is ignored.
    let untrusted = dir.join("untrusted.log");
    let common::RunningServer { mut child, base } = common::start_server(&[
        ("MCP_OAUTH_STORAGE_BACKEND", "memory"),
        ("MCP_LOG_FORMAT", "json"),
        ("MCP_LOG_FILE", untrusted.to_str().unwrap()),
        ("MCP_TRUSTED_PROXIES", "10.0.0.0/8"),
    ]);
    register_through_a_proxy(&base);
    let line = registration_line(&untrusted);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line["client"], "127.0.0.1", "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
