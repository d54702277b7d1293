//! Issue and verify one access token with each compiled-in signer.
//!
//! `cargo bench -p mcp-oauth-server --bench signers`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::{Expectations, KeyStore, PluginSettings, TokenSigner};

const NOW: i64 = 1_800_000_000;

fn claims() -> AccessClaims {
    AccessClaims {
        iss: "https://memory.example".into(),
        sub: "owner".into(),
        aud: "https://memory.example/mcp".into(),
        exp: NOW + 3600,
        iat: NOW,
        jti: "3q2-7wK4T1yVq2bZ0n6m4A".into(),
        client_id: "mcp_client_RmQm0b2dP0aS9T8f7g6h5A".into(),
        scope: "read write".into(),
    }
}

fn signers(c: &mut Criterion) {
    // Keep the plugin crates linked.
    let _ = mcp_oauth_server::DEFAULT_STORAGE;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let audiences = vec!["https://memory.example/mcp".to_owned()];
    let expect = Expectations {
        issuer: "https://memory.example",
        audiences: &audiences,
        now: NOW,
    };
    for plugin in registry::signers() {
        let storage = runtime
            .block_on((registry::storage("memory").expect("memory storage").open)(
                PluginSettings::default(),
            ))
            .expect("storage");
        let keys: Arc<dyn KeyStore> = storage;
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
        let claims = claims();
        let token = signer.issue(&claims).expect("issue");
        let mut group = c.benchmark_group(plugin.name);
        group.bench_function("issue", |b| {
            b.iter(|| signer.issue(black_box(&claims)).expect("issue"))
        });
        group.bench_function("verify", |b| {
            b.iter(|| {
                expect
                    .verify(signer.as_ref(), black_box(&token))
                    .expect("verify")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, signers);
criterion_main!(benches);
