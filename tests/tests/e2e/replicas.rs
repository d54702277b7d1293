//! Several `memory` replicas on one SurrealDB server: grants are shared and single-use across
//! them; a database outage is a 503, and service resumes by itself when the database returns.

#![cfg(feature = "store-surrealdb")]

use mcp_oauth_core::PluginSettings;
use mcp_oauth_tests::{
    CapturedLogs, Pkce, SurrealServer, TestServer, expect_error, redirect_param,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The issuer every replica shares, as behind one load-balanced URL.
const ISSUER: &str = "https://memory.example";

async fn replica(database: &SurrealServer) -> TestServer {
    replica_with(database, &[]).await
}

/// The plugin settings that reach the replicas' database on `database`: what every replica,
/// and every command run beside them, is given.
fn database_settings(database: &SurrealServer) -> PluginSettings {
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_STORAGE_URL", database.url());
    settings.set("MCP_SURREALDB_USER", "root");
    settings.set("MCP_SURREALDB_PASS", "root");
    settings.set("MCP_SURREALDB_NS", "mcp");
    settings.set("MCP_SURREALDB_DB", "replicas");
    settings
}

async fn replica_with(database: &SurrealServer, flags: &[&str]) -> TestServer {
    let settings = database_settings(database);
    let mut all = vec![
        "--oauth-storage-backend",
        "surrealdb",
        "--oauth-issuer",
        ISSUER,
    ];
    all.extend_from_slice(flags);
    TestServer::start_with(&all, settings)
        .await
        .expect("the replica starts on the SurrealDB server")
}

async fn exchange(
    server: &TestServer,
    code: &str,
    client_id: &str,
    verifier: &str,
) -> reqwest::Response {
    server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", "http://localhost:5000/callback"),
            ("code_verifier", verifier),
        ])
        .await
}

async fn refresh(server: &TestServer, token: &str, client_id: &str) -> reqwest::Response {
    server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client_id),
        ])
        .await
}

#[tokio::test]
async fn two_replicas_share_clients_codes_keys_and_refresh_families() {
    let Some(database) = SurrealServer::start() else {
        return;
    };
    let a = replica(&database).await;
    let b = replica(&database).await;

    // Register on A, authorize on B, exchange on A.
    let client_id = a
        .register_public(
            "http://localhost/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let pkce = Pkce::new();
    let response = b
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "http://localhost:5000/callback"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = redirect_param(&response, "code").expect("B knows A's client");
    let tokens: Value = exchange(&a, &code, &client_id, &pkce.verifier)
        .await
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"]
        .as_str()
        .expect("A redeems B's code")
        .to_owned();

    // A token issued by A verifies on B: the signing key ring is shared.
    assert_eq!(
        b.get_with_token("/api/memories", &access).await.status(),
        StatusCode::OK
    );

    // Refresh twice on B; replaying the first refresh token on A (its successor was used) is
    // refused and revokes the family, which B then honours too.
    let old = tokens["refresh_token"].as_str().unwrap().to_owned();
    let rotated: Value = refresh(&b, &old, &client_id).await.json().await.unwrap();
    let used = rotated["refresh_token"].as_str().expect("rotated on B");
    let rotated: Value = refresh(&b, used, &client_id).await.json().await.unwrap();
    let current = rotated["refresh_token"]
        .as_str()
        .expect("rotated again on B")
        .to_owned();
    expect_error(
        refresh(&a, &old, &client_id).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    expect_error(
        refresh(&b, &current, &client_id).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;

    // A memory stored through A is found through B.
    let stored = a
        .http
        .post(a.url("/api/memories"))
        .bearer_auth(&access)
        .json(&json!({"content": "shared by replicas"}));
    assert_eq!(stored.send().await.unwrap().status(), StatusCode::CREATED);
    let listed: Value = b
        .get_with_token("/api/memories", &access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["memories"][0]["content"], "shared by replicas");
    // Replaying the code on B revokes what A issued for it; A honours the revocation once its
    // "not revoked" belief about the token (at most 5 seconds old) has lapsed.
    expect_error(
        exchange(&b, &code, &client_id, &pkce.verifier).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    a.clock.advance(6);
    expect_error(
        a.get_with_token("/api/memories", &access).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn a_client_assertion_used_on_one_replica_is_refused_on_the_others() {
    use jwt_simple::prelude::*;
    use mcp_oauth_core::Clock as _;

    let Some(database) = SurrealServer::start() else {
        return;
    };
    let a = replica(&database).await;
    let b = replica(&database).await;
    let key = ES256KeyPair::generate().with_key_id("replica-test");
    let jwk: Value = serde_json::from_str(&key.public_key().to_jwk()).unwrap();
    let client = a
        .register(json!({
            "redirect_uris": ["http://localhost:5000/callback"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [jwk]},
        }))
        .await;
    let id = client["client_id"].as_str().unwrap();
    let now = a.clock.now() as u64;
    let mut claims = Claims::create(Duration::from_secs(300))
        .with_issuer(id)
        .with_subject(id)
        .with_audience(format!("{ISSUER}/oauth/token"))
        .with_jwt_id("used-once-across-replicas");
    claims.issued_at = Some(Duration::from_secs(now));
    claims.expires_at = Some(Duration::from_secs(now + 300));
    let assertion = key.sign(claims).unwrap();
    for (replica, accepted) in [(&a, true), (&b, false)] {
        let pkce = Pkce::new();
        let response = replica
            .authorize(&[
                ("response_type", "code"),
                ("client_id", id),
                ("redirect_uri", "http://localhost:5000/callback"),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        let code = redirect_param(&response, "code").expect("a code");
        let response = replica
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://localhost:5000/callback"),
                ("code_verifier", &pkce.verifier),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ])
            .await;
        if accepted {
            assert_eq!(response.status(), StatusCode::OK);
        } else {
            expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        }
    }
}

#[tokio::test]
async fn a_database_outage_is_a_503_and_service_resumes_when_it_returns() {
    let Some(mut database) = SurrealServer::start() else {
        return;
    };
    let server = replica(&database).await;
    let metadata = json!({"redirect_uris": ["https://example.com/cb"]});
    assert_eq!(
        server.register_raw(metadata.clone()).await.status(),
        StatusCode::CREATED
    );

    database.kill();
    let response = server.register_raw(metadata.clone()).await;
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    )
    .await;
    assert_eq!(
        server.get("/api/health").await.status(),
        StatusCode::OK,
        "the process is alive"
    );
    let metrics = server.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("storage_errors_total{")
                && line.contains("kind=\"unavailable\"")),
        "the outage is counted as the storage's: {metrics}"
    );

    database.resume();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        status = server.register_raw(metadata.clone()).await.status();
        if status == StatusCode::CREATED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(status, StatusCode::CREATED, "service resumes by itself");
}

/// Runs SurrealQL on the replicas' database through SurrealDB's own HTTP API, as another program
/// (or an older or newer version of this one) would write to it.
async fn write_directly(database: &SurrealServer, sql: &str) {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/sql", database.port))
        .basic_auth("root", Some("root"))
        .header("surreal-ns", "mcp")
        .header("surreal-db", "replicas")
        .header("accept", "application/json")
        .body(sql.to_owned())
        .send()
        .await
        .expect("SurrealDB answers");
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn a_record_this_version_cannot_read_is_a_500_logged_once_with_its_cause_and_request_id() {
    let Some(database) = SurrealServer::start() else {
        return;
    };
    const KEY: &str = "the-owner-api-key-0123456789";
    let server = replica_with(&database, &["--api-key", KEY]).await;
    write_directly(
        &database,
        "CREATE memory:unreadable SET content = 7, tags = 'x';",
    )
    .await;
    let logs = CapturedLogs::start();

    let response = server.get_with_token("/api/memories/unreadable", KEY).await;
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .expect("every answer names its request id")
        .to_owned();
    let body = expect_error(response, StatusCode::INTERNAL_SERVER_ERROR, "server_error").await;
    assert!(
        !body.to_string().contains("unreadable"),
        "the cause stays out of the answer: {body}"
    );
    let faults = logs.logged_with(&[&id, "request failed"]).await;
    assert_eq!(faults.len(), 1, "the fault is logged once: {faults:?}");
    assert!(
        faults[0].contains("unreadable memory record: invalid type"),
        "the log line carries the whole cause chain, down to the decoder's: {}",
        faults[0]
    );

    // A proxy's request id is kept, so both logs name the request alike.
    let response = server
        .http
        .get(server.url("/api/health"))
        .header("x-request-id", "edge-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "edge-7f3a");
    assert_eq!(
        logs.logged_with(&["edge-7f3a", "path=\"/api/health\""])
            .await
            .len(),
        1
    );
    // One that could forge log lines or grow without bound is replaced.
    let response = server
        .http
        .get(server.url("/api/health"))
        .header("x-request-id", "a\" forged=\"1")
        .send()
        .await
        .unwrap();
    let replaced = response.headers()["x-request-id"].to_str().unwrap();
    assert!(
        replaced.len() == 16 && replaced.bytes().all(|b| b.is_ascii_hexdigit()),
        "{replaced}"
    );
}

/// `memory clients` beside a running deployment on a SurrealDB server, as an operator types it:
/// `list` and `show` name the registration (never its secret), `revoke` removes it, and the
/// running server refuses its tokens within the revocation check's few seconds.
#[tokio::test]
async fn the_cli_lists_shows_and_revokes_clients_of_a_running_deployment() {
    let Some(database) = SurrealServer::start() else {
        return;
    };
    let server = replica(&database).await;
    let client_id = server
        .register_public(
            "http://localhost:5000/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let tokens = server
        .public_code_flow(&client_id, "http://localhost:5000/callback", None)
        .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .get_with_token("/api/memories", &access)
            .await
            .status(),
        StatusCode::OK
    );

    let clients = |args: &[&str]| {
        let mut argv = vec!["memory", "clients", "--oauth-storage-backend", "surrealdb"];
        argv.extend_from_slice(args);
        let mcp_oauth_server::Command::Clients {
            action,
            storage,
            signer,
            hygiene,
        } = <mcp_oauth_server::Cli as clap::Parser>::try_parse_from(argv)
            .expect("valid arguments")
            .command
        else {
            unreachable!("the clients subcommand was given");
        };
        let settings = database_settings(&database);
        let now = mcp_oauth_core::Clock::now(server.clock.as_ref());
        async move {
            let settings_ref = mcp_oauth_server::clients::ClientsSettings {
                storage: &storage,
                signer: &signer,
                hygiene: &hygiene,
            };
            mcp_oauth_server::clients::run(action, settings_ref, settings, now).await
        }
    };

    let listed = clients(&["list"]).await.expect("the list");
    assert!(listed.starts_with("client_id\tname\t"), "{listed}");
    let row = listed
        .lines()
        .find(|line| line.starts_with(&client_id))
        .unwrap_or_else(|| panic!("{client_id} missing from {listed}"));
    assert!(
        row.contains("\tnone\thttp://localhost:5000/callback\t"),
        "{row}"
    );

    let shown: Value = serde_json::from_str(&clients(&["show", &client_id]).await.unwrap())
        .expect("show prints JSON");
    assert_eq!(shown["client_id"], client_id.as_str());
    assert_eq!(shown["has_secret"], false);
    assert!(shown.get("secret_hash").is_none() && shown.get("registration_token_hash").is_none());

    let unknown = clients(&["show", "no-such-client"]).await.unwrap_err();
    assert!(
        unknown.to_string().contains("memory clients list"),
        "{unknown}"
    );

    let revoked = clients(&["revoke", &client_id]).await.expect("revoked");
    assert_eq!(
        revoked,
        format!("removed client {client_id}: its tokens stop working\n")
    );
    assert!(
        clients(&["revoke", &client_id]).await.is_err(),
        "already gone"
    );

    // The running server checks revocations every few seconds: move its clock past that.
    server.clock.advance(10);
    assert_eq!(
        server
            .get_with_token("/api/memories", &access)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Unknown client (401) or revoked token (400), depending on whether the server still
    // remembers the registration: either way no new tokens.
    let refused = refresh(&server, &refresh_token, &client_id).await;
    let status = refused.status();
    let body: Value = refused.json().await.expect("a JSON error");
    assert!(
        (status == StatusCode::UNAUTHORIZED && body["error"] == "invalid_client")
            || (status == StatusCode::BAD_REQUEST && body["error"] == "invalid_grant"),
        "{status} {body}"
    );
}

/// A replica started before its SurrealDB server (as a compose file starts both at once) waits
/// for it instead of stopping at the first refusal, and serves once it answers.
#[tokio::test]
async fn a_replica_started_before_its_database_waits_for_it() {
    let Some(mut database) = SurrealServer::start() else {
        return;
    };
    database.kill();
    let url = database.url();
    let starting = tokio::spawn(async move {
        let mut settings = PluginSettings::default();
        settings.set("MCP_OAUTH_STORAGE_URL", url);
        settings.set("MCP_SURREALDB_USER", "root");
        settings.set("MCP_SURREALDB_PASS", "root");
        settings.set("MCP_SURREALDB_CONNECT_TIMEOUT", "20");
        TestServer::start_with(&["--oauth-storage-backend", "surrealdb"], settings).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!starting.is_finished(), "the replica is still waiting");
    // Kept until the end of the test: dropping it stops the database.
    let _database = tokio::task::spawn_blocking(move || {
        database.resume();
        database
    })
    .await
    .unwrap();
    let server = starting
        .await
        .unwrap()
        .unwrap_or_else(|error| panic!("the replica did not start: {error}"));
    let client = server
        .register_public("http://localhost/callback", &["authorization_code"])
        .await;
    assert!(!client.is_empty());
}

/// The audit trail of a running deployment, read with `memory audit` as an operator would: each
/// step of a client's life in order, naming the client and the person, never a token.
#[tokio::test]
async fn memory_audit_lists_what_happened_in_order_and_no_secret() {
    let Some(database) = SurrealServer::start() else {
        return;
    };
    let server = replica(&database).await;
    let client_id = server
        .register_public(
            "http://localhost:5000/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let tokens = server
        .public_code_flow(&client_id, "http://localhost:5000/callback", None)
        .await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = refresh(&server, &refresh_token, &client_id)
        .await
        .json()
        .await
        .unwrap();
    let newest = refreshed["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    let revoked = server
        .http
        .post(server.url("/oauth/revoke"))
        .form(&[
            ("token", newest.as_str()),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);

    let audit = || {
        let argv = [
            "memory",
            "audit",
            "--oauth-storage-backend",
            "surrealdb",
            "--since",
            "1h",
        ];
        let mcp_oauth_server::Command::Audit { since, storage } =
            <mcp_oauth_server::Cli as clap::Parser>::try_parse_from(argv)
                .expect("valid arguments")
                .command
        else {
            unreachable!("the audit subcommand was given");
        };
        let settings = database_settings(&database);
        let now = mcp_oauth_core::Clock::now(server.clock.as_ref());
        async move { mcp_oauth_server::audit::run(since, &storage, settings, now).await }
    };
    // The trail is written in batches behind the requests: wait for the last event.
    let mut listing = String::new();
    for _ in 0..50 {
        listing = audit().await.expect("the audit listing");
        if listing.contains("token_revoked") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let kinds: Vec<&str> = listing
        .lines()
        .filter(|line| line.contains(&format!("client={client_id}")))
        .filter_map(|line| line.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        kinds,
        [
            "client_registered",
            "consent_automatic",
            "token_issued",
            "token_refreshed",
            "token_revoked"
        ],
        "{listing}"
    );
    let issued = listing
        .lines()
        .find(|line| line.contains("token_issued"))
        .unwrap();
    assert!(
        issued.contains("subject=owner") && issued.contains("authorization_code"),
        "{issued}"
    );
    for secret in [
        tokens["access_token"].as_str().unwrap(),
        refresh_token.as_str(),
        newest.as_str(),
        refreshed["access_token"].as_str().unwrap(),
    ] {
        assert!(!listing.contains(secret), "a token reached the audit trail");
    }
}
