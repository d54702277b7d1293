//! Conformance suites: the behaviour every storage and signer plugin must show. A plugin's tests
//! call [`storage::run`] or [`signer::run`] on its own backend; a new backend is done when it passes
//! them unchanged. Failures panic with a message naming the broken rule.

pub mod signer;
pub mod storage;
