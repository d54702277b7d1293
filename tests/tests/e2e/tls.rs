//! HTTPS with rustls: a whole OAuth flow and a protected call over TLS with the configured
//! certificate, and a self-signed certificate when HTTPS is on without one.

use mcp_oauth_core::PluginSettings;
use mcp_oauth_tests::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

/// A certificate for 127.0.0.1 and localhost written to files: (cert path, key path, cert PEM).
fn certificate_files() -> (String, String, String) {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "memory-tls-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (
        cert.display().to_string(),
        key.display().to_string(),
        made.cert.pem(),
    )
}

#[tokio::test]
async fn a_whole_flow_runs_over_tls_with_the_configured_certificate() {
    let (cert, key, pem) = certificate_files();
    let server = TestServer::start_https(
        &["--ssl-cert-file", &cert, "--ssl-key-file", &key],
        PluginSettings::default(),
        Some(pem.as_bytes()),
    )
    .await
    .expect("the server starts");
    assert!(server.base.starts_with("https://"));

    let metadata: Value = server
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], server.base);
    assert!(
        metadata["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    let redirect = "http://localhost/callback";
    let client = server
        .register_public(redirect, &["authorization_code", "refresh_token"])
        .await;
    let tokens = server.public_code_flow(&client, redirect, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = server.get_with_token("/api/memories", access).await;
    assert_eq!(response.status(), StatusCode::OK);

    // The port speaks TLS only: plain HTTP is told where to go, and gets nothing else.
    let plain_base = server.base.replacen("https://", "http://", 1);
    let plain = reqwest::get(format!("{plain_base}/api/health"))
        .await
        .expect("an HTTP answer");
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    let told = plain.text().await.unwrap();
    assert_eq!(
        told,
        format!(
            "This port speaks HTTPS only: use {}/api/health\n",
            server.base
        )
    );
    // And the TLS clients are served as before, on the same port.
    let again = server.get_with_token("/api/memories", access).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn https_without_certificate_files_serves_a_self_signed_certificate() {
    let server = TestServer::start_https(&[], PluginSettings::default(), None)
        .await
        .expect("the server starts");
    let metadata: Value = server
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], server.base);

    // A client that trusts only another certificate refuses this one: it is not ours.
    let (_, _, unrelated) = certificate_files();
    let strict = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(unrelated.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let refused = strict.get(server.url("/api/health")).send().await;
    assert!(
        refused.is_err(),
        "an untrusted certificate must fail: {refused:?}"
    );

    // The certificate says what it is and lasts a year, not a millennium.
    let inspecting = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .tls_info(true)
        .build()
        .unwrap();
    let answer = inspecting
        .get(server.url("/api/health"))
        .send()
        .await
        .unwrap();
    let presented = answer
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("the presented certificate")
        .to_vec();
    let (_, certificate) = x509_parser::parse_x509_certificate(&presented).expect("a certificate");
    let subject = certificate.subject().to_string();
    assert_eq!(subject, "CN=memory server (self-signed) 127.0.0.1");
    let validity = certificate.validity();
    let days = (validity.not_after.timestamp() - validity.not_before.timestamp()) / 86_400;
    assert_eq!(days, 366, "a day back for skewed clocks, a year ahead");
}
