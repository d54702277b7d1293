//! The engine's small hot paths: PKCE verification, redirect-URI matching, scope parsing, and the
//! resource endpoints' token check through the engine (signature verified once, then the
//! verified-token cache and the revocation check), for each compiled-in signer.
//!
//! `cargo bench -p mcp-oauth-server --bench hot_paths`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use mcp_oauth_core::model::{AccessClaims, PkceChallenge, RedirectUri, ScopeSet};
use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::{
    AuthorizationServer, EngineConfig, KeyStore, ManualClock, PkcePolicy, PluginSettings,
    TokenSigner,
};

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://memory.example";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn parsers(c: &mut Criterion) {
    let mut group = c.benchmark_group("parsers");
    let challenge = PkceChallenge::parse(CHALLENGE, Some("S256")).expect("challenge");
    group.bench_function("pkce_verify", |b| {
        b.iter(|| challenge.verify(black_box(VERIFIER)).expect("verifies"))
    });
    let loopback = RedirectUri::parse("http://localhost/callback").expect("redirect");
    group.bench_function("redirect_match_loopback_port", |b| {
        b.iter(|| loopback.matches(black_box("http://localhost:53219/callback")))
    });
    let https = RedirectUri::parse("https://app.example.com/oauth/callback").expect("redirect");
    group.bench_function("redirect_match_https", |b| {
        b.iter(|| https.matches(black_box("https://app.example.com/oauth/callback")))
    });
    group.bench_function("scope_parse", |b| {
        b.iter(|| black_box("read write offline_access").parse::<ScopeSet>())
    });
    group.finish();
}

fn engine_verify(c: &mut Criterion) {
    // Keep the plugin crates linked.
    let _ = mcp_oauth_server::DEFAULT_STORAGE;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let claims = AccessClaims {
        iss: ISSUER.into(),
        sub: "owner".into(),
        aud: format!("{ISSUER}/mcp"),
        exp: NOW + 3600,
        iat: NOW,
        jti: "3q2-7wK4T1yVq2bZ0n6m4A".into(),
        client_id: "mcp_client_RmQm0b2dP0aS9T8f7g6h5A".into(),
        scope: "read write".into(),
    };
    for plugin in registry::signers() {
        let storage = runtime
            .block_on((registry::storage("memory").expect("memory storage").open)(
                PluginSettings::default(),
            ))
            .expect("storage");
        let keys: Arc<dyn KeyStore> = storage.clone();
        let context = SignerContext {
            settings: PluginSettings::default(),
            keys,
            now: NOW,
            token_lifetime: 3600,
        };
        let signer: Arc<dyn TokenSigner> = Arc::new(
            runtime
                .block_on(mcp_oauth_core::Signing::start(plugin, context))
                .expect("signer"),
        );
        let token = signer.issue(&claims).expect("issue");
        let config = EngineConfig {
            issuer: ISSUER.into(),
            access_token_ttl: 3600,
            code_ttl: 600,
            refresh_token_ttl: 86_400,
            pkce: PkcePolicy::Public,
            issuer_aliases: Vec::new(),
            refresh_reuse_grace: true,
            unused_client_ttl: 0,
        };
        let engine =
            AuthorizationServer::new(config, storage, signer, Arc::new(ManualClock::new(NOW)));
        let mut group = c.benchmark_group(plugin.name);
        group.bench_function("engine_verify_cached", |b| {
            b.iter(|| {
                runtime
                    .block_on(engine.verify_access_token(black_box(&token)))
                    .expect("verifies")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, parsers, engine_verify);
criterion_main!(benches);
