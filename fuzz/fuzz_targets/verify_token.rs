//! Token verification by every compiled-in signer: whatever text arrives as a bearer token, each
//! signer answers without panicking, and accepts nothing but the token it issued itself. Inputs
//! are tried as they are and spliced into each signer's own token, so that the fuzzer also works
//! deep inside well-formed JWTs and PASETO tokens.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::{Expectations, KeyStore, PluginSettings, TokenSigner};
use mcp_oauth_store_memory::InMemoryStorage;

const ISSUER: &str = "https://auth.example";
const NOW: i64 = 1_800_000_000;

/// Each signer with the one token it issued.
fn signers() -> &'static [(Arc<dyn TokenSigner>, String)] {
    static SIGNERS: OnceLock<Vec<(Arc<dyn TokenSigner>, String)>> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let keys: Arc<dyn KeyStore> = Arc::new(InMemoryStorage::default());
        let claims = AccessClaims {
            iss: ISSUER.into(),
            sub: "owner".into(),
            aud: format!("{ISSUER}/mcp"),
            exp: NOW + 3600,
            iat: NOW,
            jti: "fuzz".into(),
            client_id: "mcp_client_fuzz".into(),
            scope: "read write".into(),
        };
        // The server crate names every plugin it was built with, so they are linked in.
        let _ = mcp_oauth_server::default_signer();
        registry::signers()
            .into_iter()
            .map(|plugin| {
                let context = SignerContext {
                    settings: PluginSettings::default(),
                    keys: keys.clone(),
                    now: NOW,
                    token_lifetime: 3600,
                };
                let signer: Arc<dyn TokenSigner> = Arc::new(
                    runtime
                        .block_on(mcp_oauth_core::Signing::start(plugin, context))
                        .expect("builds"),
                );
                let token = signer.issue(&claims).expect("issues");
                (signer, token)
            })
            .collect()
    })
}

/// `issued` with the bytes after the first two of `data` written over it at the offset they name.
fn splice(issued: &str, data: &[u8]) -> Option<String> {
    let (offset, patch) = data.split_first_chunk::<2>()?;
    let at = usize::from(u16::from_le_bytes(*offset)) % (issued.len() + 1);
    let mut bytes = issued.as_bytes().to_vec();
    let end = (at + patch.len()).min(bytes.len());
    bytes.splice(at..end, patch.iter().copied());
    String::from_utf8(bytes).ok()
}

fuzz_target!(|data: &[u8]| {
    let audiences = vec![format!("{ISSUER}/mcp")];
    let expectations = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now: NOW,
    };
    for (signer, issued) in signers() {
        let candidates = [
            std::str::from_utf8(data).ok().map(str::to_owned),
            splice(issued, data),
        ];
        for token in candidates.iter().flatten() {
            let verdict = expectations.verify(signer.as_ref(), token);
            assert_eq!(
                verdict.is_ok(),
                token == issued,
                "a signer accepted a token it did not issue: {token:?}"
            );
        }
    }
});
