//! End-to-end tests: the real server over HTTP on 127.0.0.1, ephemeral ports, pinned clocks.

mod e2e {
    mod api_key;
    mod assertions;
    mod backup;
    mod browser;
    mod clients;
    mod consent;
    mod discovery;
    mod documents;
    mod enterprise;
    mod errors;
    mod flows;
    mod matrix;
    mod mcp;
    mod memories;
    mod oidc;
    mod openapi;
    mod operations;
    mod people;
    mod persistence;
    mod registration;
    mod registry;
    mod replicas;
    mod revocation;
    mod signers;
    mod site;
    mod tls;
    mod tokens;
    mod ts_sdk;
}
