//! The `hs256` signer passes the signer conformance suite unchanged, and refuses short keys.

use mcp_oauth_core::testkit;
use mcp_oauth_signer_hs256::Hs256Signer;

#[test]
fn passes_the_signer_conformance_suite() {
    let signer = Hs256Signer::new(&[7; 32]).unwrap();
    let other = Hs256Signer::new(&[8; 32]).unwrap();
    testkit::signer::run(&signer, &other);
}

#[test]
fn refuses_keys_shorter_than_32_bytes() {
    let error = Hs256Signer::new(b"your-secure-secret-key-here")
        .err()
        .unwrap();
    let line = error.to_string();
    assert!(
        line.contains("MCP_OAUTH_SECRET_KEY") && line.contains("27 bytes"),
        "{line}"
    );
}
