//! An MCP client that knows only the `/mcp` URL gets from nothing to a stored and retrieved memory,
//! as Claude Code does: 401 → protected-resource metadata → authorization-server metadata → dynamic
//! registration → authorize with PKCE and `resource` → token → MCP calls → refresh → more calls.
//! The client is the official Rust SDK (`rmcp` with its `auth` feature), not our code.

use mcp_oauth_tests::{TestServer, expect_error, hidden_field, location};
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
    authorize_as(server, request, None).await
}

/// Like [`authorize`]; with `owner_key`, the consent page is filled in and approved with it.
async fn authorize_as(
    server: &TestServer,
    request: AuthorizationRequest,
    owner_key: Option<&str>,
) -> AuthClient<reqwest::Client> {
    authorize_with(server, request, owner_key, REDIRECT).await
}

/// Like [`authorize`], for a client whose redirect URI is `redirect`.
async fn authorize_via(
    server: &TestServer,
    request: AuthorizationRequest,
    redirect: &str,
) -> AuthClient<reqwest::Client> {
    authorize_with(server, request, None, redirect).await
}

async fn authorize_with(
    server: &TestServer,
    request: AuthorizationRequest,
    owner_key: Option<&str>,
    redirect: &str,
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
    let mut response = server.http.get(&url).send().await.expect("authorize");
    if let Some(key) = owner_key {
        assert_eq!(response.status(), StatusCode::OK, "the consent page");
        let page = response.text().await.unwrap();
        let names = [
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "resource",
            "csrf_token",
        ];
        let mut form: Vec<(String, String)> = names
            .iter()
            .filter(|name| page.contains(&format!("name=\"{name}\"")))
            .map(|name| ((*name).to_owned(), hidden_field(&page, name)))
            .collect();
        form.push(("decision".into(), "approve".into()));
        form.push(("api_key".into(), key.into()));
        response = server
            .http
            .post(server.url("/oauth/authorize"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "approved");
    } else {
        assert_eq!(response.status(), StatusCode::FOUND, "auto-approved");
    }
    let callback = location(&response).expect("a redirect to the client");
    assert!(
        callback.as_str().starts_with(redirect),
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
    // One memory service behind both doors: the REST API shows who stored it through MCP.
    let stored_by = &memories["memories"][0]["stored_by"];
    let claims = mcp_oauth_tests::readable_claims(&token);
    assert!(
        stored_by["client_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{stored_by}"
    );
    if let Some(claims) = claims {
        assert_eq!(stored_by["client_id"], claims["client_id"]);
        assert_eq!(stored_by["subject"], claims["sub"]);
    }
}

/// The banner prints `listening http://127.0.0.1:PORT` while the derived issuer is
/// `http://localhost:PORT`: the SDK given the 127.0.0.1 URL still gets through (it checks that
/// the metadata's issuer and the RFC 9207 `iss` name the server it was given).
#[tokio::test]
async fn the_sdk_connects_by_127_0_0_1_when_the_issuer_is_derived() {
    let server = TestServer::start_derived(&[]).await;
    assert!(server.base.starts_with("http://127.0.0.1:"));
    let request = AuthorizationRequest::new("http://127.0.0.1/callback")
        .with_client_name("rmcp by address")
        .with_scopes(["read", "write"]);
    let client = authorize_via(&server, request, "http://127.0.0.1/callback").await;
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(server.url("/mcp")),
    );
    let mcp = ().serve(transport).await.expect("initialize");
    let stored = mcp
        .call_tool(call(
            "store_memory",
            json!({"content": "reached by address"}),
        ))
        .await
        .expect("store");
    assert_eq!(text_of(&stored)["stored"], true);
    mcp.cancel().await.expect("close");
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
async fn with_consent_required_the_owner_approves_the_sdk_in_the_browser() {
    let server = TestServer::start(&["--api-key", "owner-key-0123456789"]).await;
    let request = AuthorizationRequest::new(REDIRECT).with_scopes(["read", "write"]);
    let client = authorize_as(&server, request, Some("owner-key-0123456789")).await;
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(server.url("/mcp")),
    );
    let mcp = ().serve(transport).await.expect("initialize");
    let health = mcp
        .call_tool(call("check_database_health", json!({})))
        .await
        .expect("health");
    assert_eq!(text_of(&health)["status"], "healthy");
    mcp.cancel().await.unwrap();
}

#[cfg(feature = "signer-hs256")]
#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    use jwt_simple::prelude::*;
    let secret = "audience-test-secret-audience-test-secret";
    let mut settings = mcp_oauth_core::PluginSettings::default();
    settings.set("MCP_OAUTH_SECRET_KEY", secret);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let server = TestServer::start_at(&["--oauth-signer", "hs256"], settings, now)
        .await
        .unwrap();
    let genuine = server.client_credentials_token("read").await;
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            genuine.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    // Same key, issuer and claims, another audience: signed with an independent JWT library.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Extra {
        client_id: String,
        scope: String,
    }
    let extra = Extra {
        client_id: "mcp_client_x".into(),
        scope: "read write".into(),
    };
    let claims = Claims::with_custom_claims(extra, Duration::from_hours(1))
        .with_jwt_id("forged-1")
        .with_issuer(&server.base)
        .with_audience("https://other.example/mcp")
        .with_subject("mcp_client_x");
    let key = HS256Key::from_bytes(secret.as_bytes()).with_key_id(header["kid"].as_str().unwrap());
    let forged = key.authenticate(claims).unwrap();
    let response = server
        .http
        .post(server.url("/mcp"))
        .bearer_auth(&forged)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    let body = expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("another resource"),
        "{body}"
    );
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused() {
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

#[tokio::test]
async fn the_transport_answers_post_get_and_delete_with_a_session() {
    let server = TestServer::start(&[
        "--api-key",
        "owner-key-0123456789",
        "--oauth-auto-approve",
        "true",
    ])
    .await;
    let request = |method: reqwest::Method| {
        server
            .http
            .request(method, server.url("/mcp"))
            .header("X-API-Key", "owner-key-0123456789")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
    };
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let response = request(reqwest::Method::POST)
        .json(&initialize)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        body.contains("\"protocolVersion\":\"2025-11-25\""),
        "negotiated: {body}"
    );

    let stream = request(reqwest::Method::GET)
        .header("Mcp-Session-Id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    drop(stream);

    let closed = request(reqwest::Method::DELETE)
        .header("Mcp-Session-Id", &session)
        .send()
        .await
        .unwrap();
    assert!(closed.status().is_success(), "{}", closed.status());
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let after = request(reqwest::Method::POST)
        .header("Mcp-Session-Id", &session)
        .json(&ping)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::NOT_FOUND,
        "a closed session is gone"
    );
}

#[tokio::test]
async fn the_stateless_2026_07_28_core_is_served_beside_the_initialize_era() {
    let server = TestServer::start(&[]).await;
    let token = server.admin_token().await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let post = |body: Value, method: &'static str, name: Option<&'static str>| {
        let mut request = server
            .http
            .post(server.url("/mcp"))
            .bearer_auth(&token)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", method)
            .json(&body);
        if let Some(name) = name {
            request = request.header("Mcp-Name", name);
        }
        request.send()
    };
    let discover = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover",
        "params": {"_meta": meta}});
    let response = post(discover, "server/discover", None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("mcp-session-id").is_none(),
        "no session in the stateless core"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("2026-07-28"),
        "discover names the version: {body}"
    );
    assert!(
        body.contains("mcp-memory-service"),
        "and the server: {body}"
    );

    // A tool call without initialize or a session, checked for scope like any other.
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "store_memory", "arguments": {"content": "stored statelessly"}, "_meta": meta}});
    let response = post(call, "tools/call", Some("store_memory"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(!body.contains("\"isError\":true"), "{body}");
    let listed: Value = server
        .get_with_token("/api/memories", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed.to_string().contains("stored statelessly"),
        "{listed}"
    );
}

#[tokio::test]
async fn a_session_belongs_to_whoever_opened_it() {
    let server = TestServer::start(&[
        "--api-key",
        "owner-key-0123456789",
        "--oauth-auto-approve",
        "true",
    ])
    .await;
    let other = server.admin_token().await;
    let post = |who: &str, body: Value, session: Option<&str>| {
        let mut request = server
            .http
            .post(server.url("/mcp"))
            .bearer_auth(who)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .json(&body);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        request.send()
    };
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let response = post("owner-key-0123456789", initialize, None)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = post("owner-key-0123456789", initialized, Some(&session))
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());

    // Another principal with a valid token: every use of the session is 404, as if unknown.
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let response = post(&other, ping.clone(), Some(&session)).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = server
            .http
            .request(method.clone(), server.url("/mcp"))
            .bearer_auth(&other)
            .header("Accept", "text/event-stream")
            .header("Mcp-Session-Id", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method}");
    }
    // A made-up session id is 404 too; the owner's session is untouched.
    let response = post("owner-key-0123456789", ping.clone(), Some("made-up"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = post("owner-key-0123456789", ping, Some(&session))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
