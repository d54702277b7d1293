//! What an operator watches: `/metrics` counts each kind of refusal by its reason, tokens by
//! grant, and the live clients; the scrape token guards it; readiness follows the storage.

use mcp_oauth_tests::{Pkce, TestServer, redirect_param};
use reqwest::StatusCode;

const REDIRECT: &str = "http://127.0.0.1:33418/callback";

async fn scrape(server: &TestServer, token: Option<&str>) -> (StatusCode, String) {
    let mut request = server.http.get(server.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("scrape");
    let status = response.status();
    (status, response.text().await.expect("text"))
}

/// The value of the sample whose line starts with `series`, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn each_refusal_is_counted_by_its_reason() {
    let server = TestServer::start(&["--oauth-auto-approve", "true"]).await;
    let client = server
        .register_public(REDIRECT, &["authorization_code", "refresh_token"])
        .await;
    let tokens = server.public_code_flow(&client, REDIRECT, None).await;
    let access = tokens["access_token"].as_str().expect("access token");
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");

    // A wrong PKCE verifier.
    let pkce = Pkce::new();
    let code = redirect_param(
        &server
            .authorize(&[
                ("response_type", "code"),
                ("client_id", &client),
                ("redirect_uri", REDIRECT),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
            ])
            .await,
        "code",
    )
    .expect("a code");
    let wrong_verifier = "w".repeat(43);
    let answer = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client),
            ("code_verifier", &wrong_verifier),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    // An unknown client, a forged token, a reused refresh token, no credentials.
    let answer = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "nothing"),
            ("client_id", "nobody"),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let forged = format!("{access}x");
    let answer = server.get_with_token("/api/memories", &forged).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    // The successor is used: the first token is now spent, and its replay revokes the family.
    let refresh_with = |token: String| {
        let (server, client) = (&server, client.clone());
        async move {
            server
                .token(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("client_id", &client),
                ])
                .await
        }
    };
    let rotated: serde_json::Value = refresh_with(refresh.to_owned()).await.json().await.unwrap();
    let successor = rotated["refresh_token"]
        .as_str()
        .expect("a successor")
        .to_owned();
    assert_eq!(refresh_with(successor).await.status(), StatusCode::OK);
    assert_eq!(
        refresh_with(refresh.to_owned()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let answer = server.get("/api/memories").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);

    let (status, text) = scrape(&server, None).await;
    assert_eq!(status, StatusCode::OK);
    for (reason, error) in [
        ("invalid_pkce", "invalid_grant"),
        ("unknown_client", "invalid_client"),
        ("bad_signature", "invalid_token"),
        ("reused_refresh", "invalid_grant"),
        ("missing_credentials", "invalid_token"),
    ] {
        let series = format!("oauth_refusals_total{{reason=\"{reason}\",error=\"{error}\"}}");
        assert!(
            sample(&text, &series) >= 1.0,
            "{series} counted in:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|line| line
                .starts_with("oauth_tokens_issued_total{grant_type=\"authorization_code\"")),
        "tokens issued are counted by grant and signer"
    );
    assert!(
        sample(
            &text,
            "oauth_authorizations_total{outcome=\"auto_approved\"}"
        ) >= 2.0
    );
    assert!(
        sample(&text, "oauth_clients") >= 1.0,
        "the live clients are counted"
    );
    assert!(
        text.contains("http_requests_total{route=\"/oauth/token\",method=\"POST\",status=\"400\"}"),
        "requests are counted by route and status"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{le="));
    for operation in ["insert_client", "take_code", "rotate_refresh"] {
        let series =
            format!("storage_operation_duration_seconds_count{{operation=\"{operation}\"}}");
        assert!(
            sample(&text, &series) >= 1.0,
            "the storage's latency is measured by operation: {series} in:\n{text}"
        );
    }
    assert!(
        !text.contains("storage_errors_total{"),
        "a healthy storage has no errors"
    );
    assert!(
        !text.contains(refresh) && !text.contains(access),
        "no secret in the metrics"
    );

    let ready = server.get("/api/health/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_scrape_token_guards_the_metrics_and_lets_any_host_scrape() {
    let server = TestServer::start(&["--metrics-token", "scrape-secret"]).await;
    let (status, _) = scrape(&server, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = scrape(&server, Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth("scrape-secret")
        .header("Host", "10.1.2.3:9000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/openmetrics-text"))
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "oauth_refusals_total{reason=\"missing_credentials\",error=\"invalid_token\"} 1"
        ),
        "{text}"
    );
    server.stop().await;
}
