//! Registration and the full authorization-code flow (authorize + approve + token) through the
//! engine, on each storage, in one run: what the storage costs per flow, without HTTP.
//!
//! `cargo bench -p mcp-oauth-server --bench flows`

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use mcp_oauth_core::engine::{
    Approval, AuthorizationRequest, ClientCredentials, Grant, Registrar, RegistrationRequest,
    TokenRequest,
};
use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::secret::Secret;
use mcp_oauth_core::{
    AuthorizationServer, EngineConfig, KeyStore, PkcePolicy, PluginSettings, Signing, SystemClock,
};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn engine(
    runtime: &tokio::runtime::Runtime,
    storage: &str,
    url: Option<&str>,
) -> AuthorizationServer {
    let _ = mcp_oauth_server::DEFAULT_STORAGE;
    let mut settings = PluginSettings::default();
    if let Some(url) = url {
        settings.set("MCP_OAUTH_STORAGE_URL", url);
    }
    runtime.block_on(async {
        let storage = (registry::storage(storage).expect("storage").open)(settings.clone())
            .await
            .expect("open");
        let keys: Arc<dyn KeyStore> = storage.clone();
        let context = SignerContext {
            settings,
            keys,
            now: 1_800_000_000,
            token_lifetime: 3600,
        };
        let signing = Signing::start(registry::signer("hs256").expect("hs256"), context)
            .await
            .expect("signer");
        let config = EngineConfig {
            issuer: "https://memory.example".into(),
            access_token_ttl: 3600,
            code_ttl: 600,
            refresh_token_ttl: 86_400,
            pkce: PkcePolicy::Public,
            issuer_aliases: Vec::new(),
            refresh_reuse_grace: true,
            unused_client_ttl: 0,
        };
        AuthorizationServer::new(config, storage, Arc::new(signing), Arc::new(SystemClock))
    })
}

fn registration() -> RegistrationRequest {
    RegistrationRequest {
        redirect_uris: vec!["http://localhost/callback".into()],
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        token_endpoint_auth_method: Some("none".into()),
        ..RegistrationRequest::default()
    }
}

fn flows(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("mcp-bench-{}", std::process::id()));
    let surrealkv = format!("surrealkv://{}", dir.display());
    let storages: [(&str, &str, Option<&str>); 2] = [
        ("memory", "memory", None),
        ("surrealkv", "surrealdb", Some(&surrealkv)),
    ];
    for (label, storage, url) in storages {
        let engine = engine(&runtime, storage, url);
        let mut group = c.benchmark_group(label);
        group.bench_function("register", |b| {
            b.to_async(&runtime).iter(|| async {
                engine
                    .register(registration(), Registrar::Anonymous)
                    .await
                    .expect("register")
            })
        });
        let client = runtime
            .block_on(engine.register(registration(), Registrar::Anonymous))
            .expect("client");
        let client_id = client.client.client_id.to_string();
        group.bench_function("code_flow", |b| {
            b.to_async(&runtime).iter(|| async {
                let request = AuthorizationRequest {
                    response_type: Some("code".into()),
                    client_id: Some(client_id.clone()),
                    redirect_uri: Some("http://localhost:5000/callback".into()),
                    code_challenge: Some(CHALLENGE.into()),
                    code_challenge_method: Some("S256".into()),
                    ..AuthorizationRequest::default()
                };
                let validated = engine
                    .validate_authorization(&request, "https://memory.example", Approval::Automatic)
                    .await
                    .expect("valid");
                let owner = mcp_oauth_core::authenticator::User::owner("");
                let redirect = engine.approve(&validated, &owner).await.expect("approve");
                let code = url::Url::parse(&redirect)
                    .expect("url")
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .expect("code")
                    .1
                    .into_owned();
                engine
                    .token(TokenRequest {
                        client: ClientCredentials {
                            client_id: client.client.client_id.as_str().to_owned(),
                            secret: None,
                            assertion: None,
                        },
                        grant: Grant::AuthorizationCode {
                            code: Secret::new(code),
                            redirect_uri: Some("http://localhost:5000/callback".into()),
                            code_verifier: Some(VERIFIER.into()),
                        },
                        resource: None,
                    })
                    .await
                    .expect("tokens")
            })
        });
        group.finish();
    }
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, flows);
criterion_main!(benches);
