//! The generated spec: served as JSON and YAML, kept in the repository as a snapshot, and browsable
//! in Swagger UI whose Authorize button runs PKCE against this server.

use mcp_oauth_tests::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

#[tokio::test]
async fn the_generated_spec_matches_the_snapshot() {
    let server = TestServer::start(&[]).await;
    let served: Value = server.get("/openapi.json").await.json().await.unwrap();
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI_SNAPSHOT").is_some() {
        std::fs::write(SNAPSHOT, &pretty).unwrap();
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).expect("openapi/openapi.json exists");
    assert!(
        snapshot == pretty,
        "the generated spec differs from openapi/openapi.json; if the change is intended, run \
         UPDATE_OPENAPI_SNAPSHOT=1 cargo test -p mcp-oauth-tests openapi and commit the file"
    );
}

#[tokio::test]
async fn the_spec_declares_scopes_security_and_the_oauth2_flow() {
    let server = TestServer::start(&[]).await;
    let spec: Value = server.get("/openapi.json").await.json().await.unwrap();
    let flow = &spec["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"];
    assert_eq!(flow["authorizationUrl"], "/oauth/authorize");
    assert_eq!(flow["tokenUrl"], "/oauth/token");
    assert!(flow["scopes"]["write"].is_string());
    let store = &spec["paths"]["/api/memories"]["post"];
    let requirement = store["security"].as_array().unwrap();
    assert!(
        requirement
            .iter()
            .any(|r| r["oauth2"] == serde_json::json!(["write"]))
    );
    assert!(
        requirement
            .iter()
            .any(|r| r.get("api_key_header").is_some())
    );
    assert!(
        spec["paths"]["/api/health"]["get"]
            .get("security")
            .is_none(),
        "health is public"
    );

    let yaml = server.get("/openapi.yaml").await;
    assert_eq!(yaml.status(), StatusCode::OK);
    assert!(yaml.text().await.unwrap().contains("/oauth/register"));
}

#[tokio::test]
async fn swagger_ui_authorizes_with_pkce_as_the_built_in_client() {
    let server = TestServer::start(&[]).await;
    let page = server.get("/docs").await.text().await.unwrap();
    assert!(
        page.contains("usePkceWithAuthorizationCodeGrant: true"),
        "PKCE preset"
    );
    assert!(page.contains("clientId: \"swagger-ui\""));
    let receiver = server.get("/docs/oauth-receiver.html").await;
    assert_eq!(receiver.status(), StatusCode::OK);
    // The built-in client accepts exactly that receiver as redirect URI.
    let pkce = mcp_oauth_tests::Pkce::new();
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", "swagger-ui"),
            ("redirect_uri", &server.url("/docs/oauth-receiver.html")),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(mcp_oauth_tests::redirect_param(&response, "code").is_some());
}
