//! Nothing acknowledged is lost: the server on the default storage (an embedded surrealkv
//! database) is killed with SIGKILL in the middle of a registration and refresh load and started
//! again on the same directory; every registration and every refresh token it answered 2xx for
//! is still there.

#![cfg(feature = "store-surrealdb")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One issuer for both runs, as behind a fixed public URL (the port changes).
const ISSUER: &str = "https://memory.example";
const REDIRECT: &str = "http://127.0.0.1:4000/cb";
/// Refresh families rotated at once during the load.
const FAMILIES: usize = 8;
/// Registrations in flight at once during the load.
const REGISTRARS: usize = 8;
const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const PKCE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// How long the load runs before the kill.
const LOAD: Duration = Duration::from_millis(1500);

fn start(dir: &std::path::Path) -> common::RunningServer {
    let url = format!("surrealkv://{}", dir.display());
    common::start_server(&[
        ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
        ("MCP_OAUTH_STORAGE_URL", &url),
        ("MCP_OAUTH_ISSUER", ISSUER),
        ("MCP_OAUTH_AUTO_APPROVE", "true"),
        ("MCP_OAUTH_RATE_LIMIT_PER_MINUTE", "0"),
        ("MCP_OAUTH_SECRET_KEY", "Qm9X4t7LzR2vKp8sWc3nYh6jTf1gDa5e"),
    ])
}

/// A public client with a refresh token from a completed code flow (no PKCE, as the Python
/// service's clients do; auto-approved).
async fn family(http: &reqwest::Client, base: &str) -> (String, String) {
    let client: Value = http
        .post(format!("{base}/oauth/register"))
        .json(&json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = client["client_id"].as_str().unwrap().to_owned();
    // RFC 7636 appendix B's pair.
    let (verifier, challenge) = (PKCE_VERIFIER, PKCE_CHALLENGE);
    let authorized = http
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("scope", "read offline_access"),
        ])
        .send()
        .await
        .unwrap();
    let code = common::code_in(&authorized);
    let tokens: Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &id),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    (id, refresh)
}

/// Exchanges `refresh` for a successor; `None` when the answer was not a 200 with one.
async fn rotate(http: &reqwest::Client, base: &str, id: &str, refresh: &str) -> Option<String> {
    let response = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", id),
        ])
        .send()
        .await
        .ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body["refresh_token"].as_str().map(str::to_owned)
}

#[test]
fn a_sigkill_under_load_loses_nothing_the_server_acknowledged() {
    let dir = std::env::temp_dir().join(format!(
        "memory-crash-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let first = start(&dir);
    let base = first.base.clone();
    let mut child = first.child;
    // What the server acknowledged: registered client ids, and each family's newest token.
    let registered = Arc::new(Mutex::new(Vec::<String>::new()));
    let families = runtime.block_on(async {
        let mut families = Vec::new();
        for _ in 0..FAMILIES {
            families.push(family(&http, &base).await);
        }
        families
    });
    let newest: Arc<Vec<Mutex<(String, String)>>> =
        Arc::new(families.into_iter().map(Mutex::new).collect());
    let rotations = Arc::new(Mutex::new(0usize));

    runtime.block_on(async {
        let deadline = Instant::now() + LOAD;
        let mut load = Vec::new();
        for _ in 0..REGISTRARS {
            let (http, base, registered) = (http.clone(), base.clone(), registered.clone());
            load.push(tokio::spawn(async move {
                loop {
                    let answer = http
                        .post(format!("{base}/oauth/register"))
                        .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
                        .send()
                        .await;
                    let Ok(answer) = answer else { break };
                    if answer.status() != reqwest::StatusCode::CREATED {
                        break;
                    }
                    let Ok(body) = answer.json::<Value>().await else { break };
                    if let Some(id) = body["client_id"].as_str() {
                        registered.lock().unwrap().push(id.to_owned());
                    }
                }
            }));
        }
        for index in 0..FAMILIES {
            let (http, base, newest, rotations) =
                (http.clone(), base.clone(), newest.clone(), rotations.clone());
            load.push(tokio::spawn(async move {
                loop {
                    let (id, token) = newest[index].lock().unwrap().clone();
                    let Some(next) = rotate(&http, &base, &id, &token).await else {
                        break;
                    };
                    *newest[index].lock().unwrap() = (id, next);
                    *rotations.lock().unwrap() += 1;
                }
            }));
        }
        tokio::time::sleep_until(deadline.into()).await;
        // SIGKILL while the requests are in flight: no shutdown, no flush.
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        for task in load {
            let _ = task.await;
        }
    });
    let registered = registered.lock().unwrap().clone();
    let rotations = *rotations.lock().unwrap();
    eprintln!(
        "killed after {} registrations and {rotations} rotations acknowledged",
        registered.len()
    );
    assert!(
        registered.len() >= 20 && rotations >= 20,
        "the load ran: {} registrations, {rotations} rotations acknowledged",
        registered.len()
    );

    let second = start(&dir);
    let base = second.base.clone();
    let mut child = second.child;
    runtime.block_on(async {
        for id in &registered {
            // An unknown client gets an error page; a registered one is sent on with a code.
            let answer = http
                .get(format!("{base}/oauth/authorize"))
                .query(&[
                    ("response_type", "code"),
                    ("client_id", id.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_challenge", PKCE_CHALLENGE),
                    ("code_challenge_method", "S256"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(
                answer.status(),
                reqwest::StatusCode::FOUND,
                "acknowledged registration {id} was lost"
            );
        }
        for family in newest.iter() {
            let (id, token) = family.lock().unwrap().clone();
            assert!(
                rotate(&http, &base, &id, &token).await.is_some(),
                "the refresh token last acknowledged to {id} no longer works"
            );
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
