//! Conformance suites: the behaviour every storage, signer and authenticator plugin must show. A
//! plugin's tests call [`storage::run`], [`signer::run`] or [`authenticator::run`] on its own
//! backend; a new backend is done when it passes
//! them unchanged. Failures panic with a message naming the broken rule.

pub mod authenticator;
pub mod signer;
pub mod storage;
