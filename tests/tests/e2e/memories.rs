//! The memory REST API, as a client with `read write` uses it.

use mcp_oauth_tests::{TestServer, expect_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "owner-key-0123456789";

#[tokio::test]
async fn store_read_list_search_tag_update_and_delete() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let call = |method: reqwest::Method, path: &str| {
        server
            .http
            .request(method, server.url(path))
            .header("X-API-Key", KEY)
    };

    let mut hashes = Vec::new();
    for (content, tags) in [
        (
            "The team prefers coffee over tea",
            json!(["team", "drinks"]),
        ),
        (
            "Deploy on Tuesdays, never on Fridays",
            json!(["team", "ops"]),
        ),
        ("Rust 1.95 is the toolchain", json!(["ops"])),
    ] {
        let response = call(reqwest::Method::POST, "/api/memories")
            .json(&json!({"content": content, "tags": tags, "memory_type": "note", "metadata": {"source": "test"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["success"], true);
        hashes.push(body["content_hash"].as_str().unwrap().to_owned());
        server.clock.advance(1);
    }
    // Same content, other case and spacing: already stored.
    let response = call(reqwest::Method::POST, "/api/memories")
        .json(&json!({"content": "  the TEAM prefers coffee over tea "}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["content_hash"],
        hashes[0]
    );

    let memory: Value = call(
        reqwest::Method::GET,
        &format!("/api/memories/{}", hashes[1]),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(memory["content"], "Deploy on Tuesdays, never on Fridays");
    assert_eq!(memory["metadata"]["source"], "test");
    assert_eq!(
        memory["stored_by"],
        json!({"subject": "owner"}),
        "stored with the API key: by the owner, through no client"
    );

    let page: Value = call(reqwest::Method::GET, "/api/memories?page=1&page_size=2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["has_more"], true);
    assert_eq!(
        page["memories"][0]["content_hash"], hashes[2],
        "newest first"
    );
    let ops: Value = call(reqwest::Method::GET, "/api/memories?tag=ops")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ops["total"], 2);

    let found: Value = call(reqwest::Method::POST, "/api/search")
        .json(&json!({"query": "fridays deploy"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["results"][0]["memory"]["content_hash"], hashes[1]);
    assert_eq!(found["results"][0]["similarity_score"], 1.0);

    let tagged: Value = call(reqwest::Method::POST, "/api/search/by-tag")
        .json(&json!({"tags": ["team", "ops"], "match_all": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tagged["total"], 1);
    let tags: Value = call(reqwest::Method::GET, "/api/tags")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tags["tags"][0], json!({"tag": "ops", "count": 2}));

    let updated: Value = call(
        reqwest::Method::PUT,
        &format!("/api/memories/{}", hashes[2]),
    )
    .json(&json!({"tags": ["rust", " rust ", ""]}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(updated["tags"], json!(["rust"]));

    let response = call(
        reqwest::Method::DELETE,
        &format!("/api/memories/{}", hashes[2]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = call(
        reqwest::Method::DELETE,
        &format!("/api/memories/{}", hashes[2]),
    )
    .send()
    .await
    .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "invalid_request").await;
    let response = call(
        reqwest::Method::GET,
        &format!("/api/memories/{}", hashes[2]),
    )
    .send()
    .await
    .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "invalid_request").await;
}

#[tokio::test]
async fn health_is_public_and_names_the_plugins() {
    let server = TestServer::start(&[]).await;
    let health: Value = server.get("/api/health").await.json().await.unwrap();
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["storage"], mcp_oauth_tests::test_storage());
    assert_eq!(health["signer"], mcp_oauth_tests::test_signer());
}

/// Scopes form the hierarchy `admin ⊇ write ⊇ read` (MCP authorization, 2026-07-28): a token
/// with `write` reads too, `admin` does everything, and `read` alone is refused writing with a
/// challenge that names the scope it needs.
#[tokio::test]
async fn scopes_form_a_hierarchy_admin_write_read() {
    let server = TestServer::start(&[]).await;
    let store = |token: String, content: &'static str| {
        let server = &server;
        async move {
            server
                .store_memory(&token, &json!({"content": content}))
                .await
        }
    };
    let write = server.client_credentials_token("write").await;
    assert_eq!(
        store(write.clone(), "written with write").await.status(),
        StatusCode::CREATED
    );
    let listed = server.get_with_token("/api/memories", &write).await;
    assert_eq!(listed.status(), StatusCode::OK, "write grants read");

    let admin = server.client_credentials_token("admin").await;
    assert_eq!(
        store(admin.clone(), "written with admin").await.status(),
        StatusCode::CREATED
    );
    let listed: Value = server
        .get_with_token("/api/memories", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 2, "admin grants read and write");

    let read = server.client_credentials_token("read").await;
    let response = store(read, "refused").await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert!(challenge.contains("scope=\"write\""), "{challenge}");
}
