//! What the one process that holds an embedded database (`surrealkv://`, `mem://`) keeps in its
//! own memory instead of the database: nothing else can read or write that database, so nothing
//! else needs to see these.
//!
//! - **Authorization codes and what they were exchanged for.** A code lives ten minutes and is
//!   used once within seconds; keeping it in the database cost two synced commits per sign-in.
//!   A restart (or a crash) forgets the codes in flight: those sign-ins start again, as after an
//!   expired code. Nothing a client was told it holds (a client, a refresh token) is kept here.
//! - **Pages of memories already listed**, until the next memory is stored or deleted.
//!
//! A SurrealDB server (`ws://`) is shared by replicas: there everything stays in the database.

use std::collections::HashMap;

use mcp_oauth_core::UnixTime;
use mcp_oauth_core::expiring::ExpiringMap;
use mcp_oauth_core::model::{AuthorizationCode, CodeUse, MemoryPage, MemoryQuery};
use mcp_oauth_core::secret::SecretHash;
use parking_lot::Mutex;

/// Most pages of memories kept; all are dropped when one more would not fit.
const PAGES: usize = 256;

/// The process-local part of an embedded database.
#[derive(Default)]
pub(crate) struct Local {
    codes: Mutex<ExpiringMap<SecretHash, AuthorizationCode>>,
    code_uses: Mutex<ExpiringMap<SecretHash, CodeUse>>,
    pages: Mutex<Pages>,
}

/// Listed pages, and the number of memory writes so far: a page read while a write commits is
/// not kept (see [`Local::keep_page`]).
#[derive(Default)]
struct Pages {
    writes: u64,
    kept: HashMap<MemoryQuery, MemoryPage>,
}

impl Local {
    /// Keeps a freshly issued code.
    pub fn put_code(&self, code: &AuthorizationCode) {
        let now = code.issued_at;
        self.codes
            .lock()
            .insert(code.code_hash.clone(), code.clone(), |kept| {
                kept.expires_at > now
            });
    }

    /// Removes and returns the code, unless it expired at `now`.
    pub fn take_code(&self, hash: &SecretHash, now: UnixTime) -> Option<AuthorizationCode> {
        self.codes
            .lock()
            .remove(hash)
            .filter(|code| code.expires_at > now)
    }

    /// Keeps what a code was exchanged for.
    pub fn record_code_use(&self, record: &CodeUse) {
        let now = record.used_at;
        self.code_uses
            .lock()
            .insert(record.code_hash.clone(), record.clone(), |kept| {
                kept.expires_at > now
            });
    }

    /// What the code was exchanged for, unless that record expired at `now`.
    pub fn code_use(&self, hash: &SecretHash, now: UnixTime) -> Option<CodeUse> {
        self.code_uses
            .lock()
            .get(hash)
            .filter(|used| used.expires_at > now)
            .cloned()
    }

    /// The page `query` listed, if it was kept, and the write count to hand to
    /// [`keep_page`](Self::keep_page) otherwise.
    pub fn page(&self, query: &MemoryQuery) -> Result<MemoryPage, u64> {
        let pages = self.pages.lock();
        pages.kept.get(query).cloned().ok_or(pages.writes)
    }

    /// Keeps `page` for `query` unless a memory was written since `writes` was read (the page
    /// may predate that write).
    pub fn keep_page(&self, query: &MemoryQuery, page: &MemoryPage, writes: u64) {
        let mut pages = self.pages.lock();
        if pages.writes != writes {
            return;
        }
        if pages.kept.len() >= PAGES {
            pages.kept.clear();
        }
        pages.kept.insert(query.clone(), page.clone());
    }

    /// Drops every kept page: a memory was stored or deleted (call once it is committed).
    pub fn memories_written(&self) {
        let mut pages = self.pages.lock();
        pages.writes += 1;
        pages.kept.clear();
    }
}
