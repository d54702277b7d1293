//! The default storage persists: a client, its grants, the signing keys and the memories survive a
//! restart on the same embedded database.

#![cfg(feature = "store-surrealdb")]

use mcp_oauth_core::PluginSettings;
use mcp_oauth_tests::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The issuer both runs share: what a deployment behind a fixed URL has.
const ISSUER: &str = "https://memory.example";

/// A directory of this test process that no other test uses, for an embedded database.
fn fresh_dir(purpose: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "mcp-{purpose}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ))
}

async fn start_on(url: &str) -> TestServer {
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_STORAGE_URL", url);
    let flags = [
        "--oauth-storage-backend",
        "surrealdb",
        "--oauth-issuer",
        ISSUER,
    ];
    // The previous run may still be closing the directory.
    for _ in 0..50 {
        match TestServer::start_with(&flags, settings.clone()).await {
            Ok(server) => return server,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    TestServer::start_with(&flags, settings)
        .await
        .expect("the server starts on the same data")
}

#[tokio::test]
async fn clients_grants_keys_and_memories_survive_a_restart() {
    let dir = fresh_dir("restart");
    let url = format!("surrealkv://{}", dir.display());

    let first = start_on(&url).await;
    let client_id = first
        .register_public(
            "http://localhost/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let tokens = first
        .public_code_flow(&client_id, "http://localhost:7000/callback", None)
        .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let stored = first
        .store_memory(
            &access,
            &json!({"content": "survives restarts", "tags": ["durable"]}),
        )
        .await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    first.stop().await;

    let second = start_on(&url).await;
    // The token issued before the restart still verifies: the generated key lives in the store.
    let memories: Value = second
        .get_with_token("/api/memories", &access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(memories["memories"][0]["content"], "survives restarts");
    // The refresh token still rotates; the client is still registered.
    let response = second
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let again = second
        .public_code_flow(&client_id, "http://localhost:7001/callback", None)
        .await;
    assert!(again["access_token"].is_string());
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A registered client that never completed a grant is removed after `MCP_OAUTH_UNUSED_CLIENT_TTL`
/// (here a day: checked at start and every ten minutes); one that did is kept.
#[tokio::test]
async fn registrations_that_were_never_used_are_removed_after_the_ttl() {
    let dir = fresh_dir("prune");
    let url = format!("surrealkv://{}", dir.display());
    let first = start_on(&url).await;
    let unused = first
        .register(json!({"redirect_uris": ["http://localhost/callback"], "token_endpoint_auth_method": "none"}))
        .await;
    let used = first
        .register(json!({"redirect_uris": ["http://localhost/callback"], "token_endpoint_auth_method": "none"}))
        .await;
    let used_id = used["client_id"].as_str().unwrap();
    first
        .public_code_flow(used_id, "http://localhost:7000/callback", None)
        .await;
    first.stop().await;

    // A day and an hour later.
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_STORAGE_URL", url.as_str());
    let flags = [
        "--oauth-storage-backend",
        "surrealdb",
        "--oauth-issuer",
        ISSUER,
        "--oauth-unused-client-ttl",
        "24h",
    ];
    let mut later = None;
    for _ in 0..50 {
        match TestServer::start_at(&flags, settings.clone(), mcp_oauth_tests::START + 90_000).await
        {
            Ok(server) => {
                later = Some(server);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let later = later.expect("the server starts on the same data");
    let read = |body: &Value| {
        later
            .http
            .get(later.url(&format!(
                "/oauth/clients/{}",
                body["client_id"].as_str().unwrap()
            )))
            .bearer_auth(body["registration_access_token"].as_str().unwrap())
            .send()
    };
    let mut status = StatusCode::OK;
    for _ in 0..50 {
        status = read(&unused).await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the unused registration is gone"
    );
    assert_eq!(
        read(&used).await.unwrap().status(),
        StatusCode::OK,
        "the client that completed a grant stays"
    );
    later.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The built-in `swagger-ui` client follows the issuer: after a restart under another public URL
/// its stored redirect URI is the new receiver, and the old one is refused.
#[tokio::test]
async fn the_swagger_ui_client_follows_an_issuer_change() {
    let dir = fresh_dir("issuer-move");
    let mut settings = PluginSettings::default();
    settings.set(
        "MCP_OAUTH_STORAGE_URL",
        format!("surrealkv://{}", dir.display()),
    );
    let start = |issuer: &'static str| {
        let settings = settings.clone();
        async move {
            let flags = [
                "--oauth-storage-backend",
                "surrealdb",
                "--oauth-issuer",
                issuer,
                "--oauth-auto-approve",
                "true",
            ];
            for _ in 0..50 {
                if let Ok(server) = TestServer::start_with(&flags, settings.clone()).await {
                    return server;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("the server did not start under {issuer}");
        }
    };
    let first = start("https://old.example").await;
    assert_eq!(
        authorize_swagger(&first, "https://old.example").await,
        StatusCode::FOUND
    );
    first.stop().await;
    let second = start(ISSUER).await;
    assert_eq!(
        authorize_swagger(&second, ISSUER).await,
        StatusCode::FOUND,
        "the receiver under the new issuer"
    );
    assert_eq!(
        authorize_swagger(&second, "https://old.example").await,
        StatusCode::BAD_REQUEST,
        "the old receiver is no longer registered"
    );
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// What the authorization endpoint answers `swagger-ui` asking to return to `issuer`'s receiver.
async fn authorize_swagger(server: &TestServer, issuer: &str) -> StatusCode {
    let pkce = mcp_oauth_tests::Pkce::new();
    let redirect = format!("{issuer}/docs/oauth-receiver.html");
    server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", "swagger-ui"),
            ("redirect_uri", &redirect),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await
        .status()
}

/// A client that opens many connections at once (a burst of tool calls after its first start)
/// runs the first authorization in parallel: on the default storage each one's record of the
/// same first approval races for one record, and every one still gets its code and tokens.
#[tokio::test]
async fn parallel_first_authorizations_of_one_client_all_succeed() {
    let dir = fresh_dir("parallel");
    let server = start_on(&format!("surrealkv://{}", dir.display())).await;
    let redirect = "http://127.0.0.1:4000/callback";
    let client = server
        .register_public(redirect, &["authorization_code", "refresh_token"])
        .await;
    let flows = futures::future::join_all(
        (0..32).map(|_| server.public_code_flow(&client, redirect, Some("read"))),
    )
    .await;
    for tokens in &flows {
        assert!(tokens["refresh_token"].is_string(), "{tokens}");
    }
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
