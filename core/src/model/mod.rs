//! The domain model: newtypes for every protocol value and the records storage keeps.

mod account;
mod audit;
mod claims;
mod client;
mod grant;
mod memory;
mod pkce;
mod redirect;
mod scope;

pub use account::{Account, Consent, MAX_ACCOUNT_NAME, OWNER, Role};
pub use audit::{AUDIT_RETENTION, AuditEvent, AuditKind};
pub use claims::AccessClaims;
pub use client::{
    ApplicationType, AuthMethod, Client, ClientId, ClientKeys, ClientProfile, GrantType,
    JWT_BEARER_GRANT,
};
pub use grant::{AuthorizationCode, CodeUse, RefreshState, RefreshToken};
pub use memory::{
    MAX_CONTENT_CHARS, Memory, MemoryPage, MemoryQuery, ScoredMemory, StoredBy, TagCount,
    content_hash, normalize_tags, owned_by, owned_content_hash, relevance,
};
pub use pkce::PkceChallenge;
pub use redirect::{RedirectKind, RedirectUri};
pub use scope::{Scope, ScopeSet};
