//! An MCP client that knows only the `/mcp` URL gets from nothing to a stored and retrieved memory,
//! as Claude Code does: 401 → protected-resource metadata → authorization-server metadata → dynamic
//! registration → authorize with PKCE and `resource` → token → MCP calls → refresh → more calls.
//! The client is the official Rust SDK (`rmcp` with its `auth` feature), not our code.

use mcp_oauth_tests::{TestServer, expect_error, location};
use reqwest::StatusCode;
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{AuthClient, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

const REDIRECT: &str = "http://localhost/callback";

fn text_of(result: &CallToolResult) -> Value {
    let text = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .expect("a text result");
    serde_json::from_str(&text).expect("JSON text")
}

fn call(name: &'static str, arguments: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name)
        .with_arguments(arguments.as_object().cloned().unwrap_or_default())
}

/// Runs the whole authorization as the SDK does and returns an authorized HTTP client.
async fn authorize(
    server: &TestServer,
    request: AuthorizationRequest,
) -> AuthClient<reqwest::Client> {
    let mut oauth = OAuthState::new(server.url("/mcp"), None)
        .await
        .expect("auth state");
    oauth
        .start_authorization(request)
        .await
        .expect("discovery and registration");
    let url = oauth
        .get_authorization_url()
        .await
        .expect("authorization URL");
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("resource="),
        "{url}"
    );
    let response = server.http.get(&url).send().await.expect("authorize");
    assert_eq!(response.status(), StatusCode::FOUND, "auto-approved");
    let callback = location(&response).expect("a redirect to the client");
    assert!(
        callback.as_str().starts_with(REDIRECT),
        "back to the client: {callback}"
    );
    oauth
        .handle_callback_url(callback.as_str())
        .await
        .expect("code exchange (state, iss checked)");
    let manager = oauth.into_authorization_manager().expect("authorized");
    AuthClient::new(reqwest::Client::default(), manager)
}

#[tokio::test]
async fn the_official_sdk_discovers_registers_authorizes_and_uses_the_memory_tools() {
    let server = TestServer::start(&[]).await;

    // What the client meets first.
    let response = server
        .http
        .post(server.url("/mcp"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let metadata_url = server.url("/.well-known/oauth-protected-resource/mcp");
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\""), "{challenge}");

    let request = AuthorizationRequest::new(REDIRECT)
        .with_client_name("rmcp interoperability test")
        .with_scopes(["read", "write", "offline_access"])
        .with_challenge(challenge);
    let client = authorize(&server, request).await;
    let transport = StreamableHttpClientTransport::with_client(
        client.clone(),
        StreamableHttpClientTransportConfig::with_uri(server.url("/mcp")),
    );
    let mcp = ().serve(transport).await.expect("initialize");

    let tools = mcp.list_all_tools().await.expect("tools/list");
    let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    for tool in [
        "store_memory",
        "retrieve_memory",
        "search_by_tag",
        "list_memories",
        "delete_memory",
        "check_database_health",
    ] {
        assert!(
            names.iter().any(|n| n == tool),
            "{tool} missing from {names:?}"
        );
    }
    let store = tools.iter().find(|t| t.name == "store_memory").unwrap();
    assert!(
        store
            .input_schema
            .get("properties")
            .and_then(|p| p.get("content"))
            .is_some(),
        "schemars input schema"
    );

    let stored = mcp
        .call_tool(call(
            "store_memory",
            json!({"content": "The deploy window is Tuesday 10:00", "tags": ["ops"]}),
        ))
        .await
        .expect("store");
    assert_eq!(stored.is_error, Some(false));
    assert_eq!(text_of(&stored)["stored"], true);
    let found = mcp
        .call_tool(call("retrieve_memory", json!({"query": "deploy window"})))
        .await
        .expect("retrieve");
    assert_eq!(
        text_of(&found)["results"][0]["memory"]["content"],
        "The deploy window is Tuesday 10:00"
    );

    // The access token expires on the server's clock; the refresh token gets a new one.
    server.clock.advance(3601);
    client
        .auth_manager
        .lock()
        .await
        .refresh_token()
        .await
        .expect("refresh");
    let listed = mcp
        .call_tool(call("list_memories", json!({})))
        .await
        .expect("list after refresh");
    assert_eq!(text_of(&listed)["total"], 1);
    mcp.cancel().await.expect("close");

    // The memory is also visible through the REST API with the same kind of token.
    let token = client.get_access_token().await.expect("token");
    let memories: Value = server
        .get_with_token("/api/memories", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(memories["total"], 1);
}

#[tokio::test]
async fn a_read_only_token_gets_a_step_up_challenge_for_writing_tools() {
    let server = TestServer::start(&[]).await;
    let request = AuthorizationRequest::new(REDIRECT).with_scopes(["read"]);
    let client = authorize(&server, request).await;
    let token = client.get_access_token().await.unwrap();

    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let post = |body: Value, session: Option<String>| {
        let mut request = server
            .http
            .post(server.url("/mcp"))
            .bearer_auth(&token)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .json(&body);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        request.send()
    };
    let response = post(initialize, None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let write = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "store_memory", "arguments": {"content": "x"}}});
    let response = post(write, Some(session)).await.unwrap();
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"write\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn tokens_for_another_audience_and_hosts_outside_the_allow_list_are_refused() {
    let server = TestServer::start(&[
        "--api-key",
        "owner-key-0123456789",
        "--oauth-auto-approve",
        "true",
    ])
    .await;
    let response = server
        .http
        .post(server.url("/mcp"))
        .header("X-API-Key", "owner-key-0123456789")
        .header("Host", "evil.example")
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "DNS-rebinding defence"
    );
}
