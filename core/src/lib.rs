//! The OAuth 2.1 engine of the MCP memory service: domain model, protocol flows, plugin traits,
//! plugin registry and (feature `testkit`) the conformance suites every plugin must pass.
//!
//! This crate knows no HTTP framework, token format or database: those live in the `openapi` crate
//! and in the plugins. Its only I/O goes through its own traits, and it reads the time only from an
//! injected [`Clock`].

pub mod assertion;
pub mod authenticator;
pub mod backup;
pub mod budget;
pub mod clock;
pub mod engine;
mod error;
pub mod expiring;
pub mod keyring;
pub mod memories;
pub mod model;
pub mod observed;
pub mod registry;
pub mod secret;
mod settings;
pub mod signer;
pub mod signing;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use assertion::AssertionVerifier;
pub use authenticator::Authenticator;
pub use clock::{Clock, ManualClock, SystemClock, UnixTime};
pub use engine::{AuthorizationServer, EngineConfig, PkcePolicy};
pub use error::{Error, ErrorCode, OAuthError, Refusal, Result};
pub use memories::MemoryService;
pub use settings::PluginSettings;
pub use signer::{Expectations, TokenSigner};
pub use signing::Signing;
pub use store::{
    AccountStore, AuditStore, ClientStore, ConsentStore, GrantStore, KeyStore, MemoryStore,
    Storage, TokenStore,
};

// Plugin crates re-use these so their versions always match the registry's.
pub use async_trait::async_trait;
pub use inventory;
pub use schemars;
