//! RFC 8414 and RFC 9728 metadata at every path MCP clients try.

use mcp_oauth_tests::{TestServer, signer_publishes_keys, test_signer};
use reqwest::StatusCode;
use serde_json::Value;

const METADATA_PATHS: [&str; 5] = [
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/mcp",
    "/.well-known/openid-configuration",
    "/.well-known/openid-configuration/mcp",
    "/mcp/.well-known/openid-configuration",
];

#[tokio::test]
async fn authorization_server_metadata_is_served_at_every_path() {
    let server = TestServer::start(&[]).await;
    for path in METADATA_PATHS {
        let response = server.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=300",
            "{path}: clients may keep the metadata a while"
        );
        let metadata: Value = response.json().await.unwrap();
        assert_eq!(metadata["issuer"], server.base, "{path}");
        assert_eq!(
            metadata["authorization_endpoint"],
            server.url("/oauth/authorize")
        );
        assert_eq!(metadata["token_endpoint"], server.url("/oauth/token"));
        assert_eq!(
            metadata["registration_endpoint"],
            server.url("/oauth/register")
        );
        assert_eq!(
            metadata["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            metadata["response_types_supported"],
            serde_json::json!(["code"])
        );
        assert_eq!(
            metadata["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "none",
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
        );
        assert_eq!(
            metadata["introspection_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ]),
            "introspection is for confidential clients"
        );
        let scopes = metadata["scopes_supported"].as_array().unwrap();
        for scope in ["read", "write", "admin", "offline_access"] {
            assert!(
                scopes.iter().any(|s| s == scope),
                "{path} lacks scope {scope}"
            );
        }
        assert_eq!(
            metadata["authorization_response_iss_parameter_supported"],
            true
        );
        if signer_publishes_keys(&test_signer()) {
            assert_eq!(metadata["jwks_uri"], server.url("/oauth/jwks.json"));
            let keys = server.get("/oauth/jwks.json").await;
            assert_eq!(keys.headers()["cache-control"], "public, max-age=60");
        } else {
            assert!(
                metadata.get("jwks_uri").is_none(),
                "symmetric signers publish no keys"
            );
        }
    }
}

#[tokio::test]
async fn protected_resource_metadata_names_this_server() {
    let server = TestServer::start(&[]).await;
    // Each document names the resource whose metadata URL it is (RFC 9728 §3.3): the origin at
    // the root, the MCP endpoint with `/mcp` inserted.
    for (path, resource) in [
        ("/.well-known/oauth-protected-resource", server.base.clone()),
        (
            "/.well-known/oauth-protected-resource/mcp",
            server.url("/mcp"),
        ),
    ] {
        let metadata: Value = server.get(path).await.json().await.unwrap();
        assert_eq!(metadata["resource"], resource, "{path}");
        assert_eq!(
            metadata["authorization_servers"],
            serde_json::json!([server.base])
        );
        assert_eq!(
            metadata["bearer_methods_supported"],
            serde_json::json!(["header"])
        );
        let scopes = metadata["scopes_supported"].as_array().unwrap();
        assert!(!scopes.iter().any(|s| s == "offline_access"));
    }
}
