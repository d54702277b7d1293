//! `memory backup` beside a running deployment on a SurrealDB server, and `memory restore` of
//! that file into a new embedded database: a server started there carries on where the first
//! left off (same clients, keys, grants, revocations and memories).

#![cfg(feature = "store-surrealdb")]

use std::path::{Path, PathBuf};

use mcp_oauth_core::PluginSettings;
use mcp_oauth_tests::{SurrealServer, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The issuer of both deployments: the same public URL before and after the move.
const ISSUER: &str = "https://memory.example";
const CALLBACK: &str = "http://localhost:5000/callback";

fn server_settings(url: &str) -> PluginSettings {
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_STORAGE_URL", url);
    if url.starts_with("ws://") {
        settings.set("MCP_SURREALDB_USER", "root");
        settings.set("MCP_SURREALDB_PASS", "root");
    }
    settings
}

/// A closed embedded database is let go of in the background: within one process (unlike the
/// command line's), the next opener may have to wait a moment.
const IN_USE: &str = "in use by a running server";

async fn start_on(url: &str) -> TestServer {
    let flags = [
        "--oauth-storage-backend",
        "surrealdb",
        "--oauth-issuer",
        ISSUER,
    ];
    for _ in 0..50 {
        match TestServer::start_with(&flags, server_settings(url)).await {
            Err(error) if error.to_string().contains(IN_USE) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            started => return started.expect("the server starts"),
        }
    }
    panic!("{url} stayed locked");
}

/// Runs `memory backup FILE` or `memory restore FILE` as the command line would, on the storage
/// at `url`.
async fn run(command: &str, file: &Path, url: &str, now: i64) -> Result<String, String> {
    let file = file.to_str().expect("a UTF-8 path");
    let argv = [
        "memory",
        command,
        file,
        "--oauth-storage-backend",
        "surrealdb",
    ];
    let parsed = <mcp_oauth_server::Cli as clap::Parser>::try_parse_from(argv)
        .expect("valid arguments")
        .command;
    let settings = server_settings(url);
    let outcome = match parsed {
        mcp_oauth_server::Command::Backup { file, storage } => {
            mcp_oauth_server::backup::backup(&file, &storage, settings, now).await
        }
        mcp_oauth_server::Command::Restore { file, storage } => {
            mcp_oauth_server::backup::restore(&file, &storage, settings, now).await
        }
        _ => unreachable!("backup or restore was given"),
    };
    outcome.map_err(|error| error.to_string())
}

/// [`run`], once the embedded database at `url` is let go of by the previous command.
async fn run_when_free(command: &str, file: &Path, url: &str, now: i64) -> Result<String, String> {
    for _ in 0..50 {
        match run(command, file, url, now).await {
            Err(error) if error.contains(IN_USE) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            outcome => return outcome,
        }
    }
    Err(format!("{url} stayed locked"))
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mcp-backup-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ))
}

#[tokio::test]
async fn a_backup_of_a_running_deployment_restores_into_a_new_embedded_database() {
    let Some(database) = SurrealServer::start() else {
        return;
    };
    let source = start_on(&database.url()).await;
    let client_id = source
        .register_public(CALLBACK, &["authorization_code", "refresh_token"])
        .await;
    let tokens = source.public_code_flow(&client_id, CALLBACK, None).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let stored = source
        .store_memory(
            &access,
            &json!({"content": "moved with the backup", "tags": ["moved"]}),
        )
        .await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    // A second grant whose access token is revoked before the backup.
    let other = source.public_code_flow(&client_id, CALLBACK, None).await;
    let revoked = other["access_token"].as_str().unwrap().to_owned();
    let answer = source
        .http
        .post(source.url("/oauth/revoke"))
        .form(&[
            ("token", revoked.as_str()),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);

    let now = mcp_oauth_core::Clock::now(source.clock.as_ref());
    let file = scratch("file");
    let written = run("backup", &file, &database.url(), now)
        .await
        .expect("the backup of a running deployment");
    let summary = written
        .strip_prefix("backed up ")
        .and_then(|rest| rest.strip_suffix(&format!(" to {}\n", file.display())))
        .unwrap_or_else(|| panic!("unexpected answer: {written}"))
        .to_owned();
    for part in ["1 memory", "2 refresh tokens", "1 access-token revocation,"] {
        assert!(summary.contains(part), "{part:?} missing from {summary}");
    }
    let text = std::fs::read_to_string(&file).expect("the backup file");
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "mcp-oauth-backup");
    for secret in [&access, &refresh, &revoked] {
        assert!(!text.contains(secret.as_str()), "a token is in the backup");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup holds keys: owner only");
    }
    let partial = format!("{}.partial", file.display());
    assert!(!Path::new(&partial).exists(), "no partial file is left");

    // The move: the deployment's database server goes away; the backup is restored into a new
    // embedded directory and a server started on it.
    source.stop().await;
    drop(database);
    let dir = scratch("dir");
    let embedded = format!("surrealkv://{}", dir.display());
    let restored = run("restore", &file, &embedded, now)
        .await
        .expect("the restore");
    assert!(
        restored.starts_with(&format!("restored {summary} from the backup of ")),
        "{restored} (backed up: {summary})"
    );
    let again = run_when_free("restore", &file, &embedded, now)
        .await
        .unwrap_err();
    assert!(again.contains("is not empty"), "{again}");

    let target = start_on(&embedded).await;
    let memories: Value = target
        .get_with_token("/api/memories", &access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        memories["memories"][0]["content"], "moved with the backup",
        "the access token verifies (same keys) and the memory moved"
    );
    assert_eq!(
        target
            .get_with_token("/api/memories", &revoked)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "a revoked token stays revoked"
    );
    let refreshed = target
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "the refresh token still rotates"
    );
    target.stop().await;
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_damaged_backup_is_refused_before_anything_is_written() {
    let file = scratch("damaged");
    let header = json!({"format": "mcp-oauth-backup", "version": 1, "created_at": 0});
    std::fs::write(
        &file,
        format!("{header}\n{{\"kind\":\"client\",\"record\":{{}}}}\n"),
    )
    .unwrap();
    let dir = scratch("untouched");
    let embedded = format!("surrealkv://{}", dir.display());
    let refused = run("restore", &file, &embedded, 0).await.unwrap_err();
    assert!(
        refused.starts_with("FILE: ") && refused.contains("line 2: "),
        "{refused}"
    );
    assert!(!dir.exists(), "no database was created");
    let _ = std::fs::remove_file(&file);
}
