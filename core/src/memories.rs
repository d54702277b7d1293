//! The memory service: the one door to memories, for the REST API and the MCP tools alike. It
//! checks the caller's scope (reading needs `read`; storing, changing and deleting need `write`),
//! validates what it is given, stamps the time and who stored a memory, and only then reaches the
//! [`MemoryStore`].

use std::sync::Arc;

use crate::clock::Clock;
use crate::engine::Principal;
use crate::error::OAuthError;
use crate::model::{
    Memory, MemoryPage, MemoryQuery, Scope, ScoredMemory, StoredBy, TagCount, normalize_tags,
    owned_by, owned_content_hash,
};
use crate::store::MemoryStore;

/// Most memories on one page of a listing.
pub const MAX_PAGE_SIZE: usize = 100;
/// Most hits of one search.
pub const MAX_SEARCH_RESULTS: usize = 100;
/// Hits of a search that names no number.
pub const DEFAULT_SEARCH_RESULTS: usize = 5;
/// Most memories a tag search returns.
pub const TAG_SEARCH_LIMIT: usize = 1000;

/// A memory to store, as a client sent it.
#[derive(Clone, Debug, Default)]
pub struct NewMemory {
    /// The text; its trimmed, lower-cased SHA-256 is its identity.
    pub content: String,
    /// Tags.
    pub tags: Vec<String>,
    /// A free-form type.
    pub memory_type: Option<String>,
    /// Free-form metadata: a JSON object, or nothing.
    pub metadata: Option<serde_json::Value>,
}

/// Changes to a stored memory; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct MemoryChange {
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New type; blank removes it.
    pub memory_type: Option<String>,
    /// New metadata: a JSON object (`null` empties it).
    pub metadata: Option<serde_json::Value>,
}

/// The outcome of storing a memory.
#[derive(Clone, Debug, PartialEq)]
pub enum Stored {
    /// Stored now.
    Created(Memory),
    /// The same content was stored before; nothing changed.
    AlreadyStored(Memory),
}

/// Which page of which memories to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// Only memories with this tag.
    pub tag: Option<String>,
    /// Only memories of this type.
    pub memory_type: Option<String>,
    /// The page, from 1.
    pub page: usize,
    /// Memories per page, 1 to [`MAX_PAGE_SIZE`].
    pub page_size: usize,
}

/// Memories carrying some tags.
#[derive(Clone, Debug, PartialEq)]
pub struct TagMatches {
    /// The tags searched, normalised.
    pub tags: Vec<String>,
    /// The memories, newest first, at most [`TAG_SEARCH_LIMIT`].
    pub memories: Vec<Memory>,
    /// How many memories carry the tags in all.
    pub total: usize,
}

/// The memory service over a store, reading the time from a clock.
pub struct MemoryService {
    store: Arc<dyn MemoryStore>,
    clock: Arc<dyn Clock>,
    space: MemorySpace,
}

/// Whose memories a caller sees (`MCP_MEMORY_SPACE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MemorySpace {
    /// Everyone shares one space, as with one API key (the default).
    #[default]
    Shared,
    /// Each person sees, finds, changes and deletes only what they stored; the same text stored
    /// by two people is two memories.
    PerPerson,
}

impl MemoryService {
    /// The service over `store`, everyone sharing one space.
    pub fn new(store: Arc<dyn MemoryStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            space: MemorySpace::Shared,
        }
    }

    /// The same service with memory `space`.
    pub fn with_space(mut self, space: MemorySpace) -> Self {
        self.space = space;
        self
    }

    /// The person whose memories `caller` sees; `None` when everyone's.
    fn owner<'a>(&self, caller: &'a Principal) -> Option<&'a str> {
        (self.space == MemorySpace::PerPerson).then_some(caller.subject.as_str())
    }

    /// The memory with `content_hash`, if `caller` may see it.
    async fn visible(
        &self,
        caller: &Principal,
        content_hash: &str,
    ) -> Result<Option<Memory>, OAuthError> {
        Ok(self
            .store
            .memory(content_hash)
            .await?
            .filter(|memory| owned_by(memory, self.owner(caller))))
    }

    /// Stores a memory unless the same content is stored already (`write`).
    pub async fn store(&self, caller: &Principal, new: NewMemory) -> Result<Stored, OAuthError> {
        caller.require(Scope::Write)?;
        let mut memory = Memory::compose(
            new.content,
            new.tags,
            new.memory_type,
            metadata_object(new.metadata)?,
            self.clock.now(),
        )?;
        if let Some(owner) = self.owner(caller) {
            memory.content_hash = owned_content_hash(owner, &memory.content);
        }
        if let Some(existing) = self.store.memory(&memory.content_hash).await? {
            return Ok(Stored::AlreadyStored(existing));
        }
        memory.stored_by = Some(StoredBy {
            subject: caller.subject.clone(),
            client_id: caller.client_id.clone(),
        });
        self.store.put_memory(&memory).await?;
        Ok(Stored::Created(memory))
    }

    /// The memory with `content_hash` (`read`).
    pub async fn get(
        &self,
        caller: &Principal,
        content_hash: &str,
    ) -> Result<Option<Memory>, OAuthError> {
        caller.require(Scope::Read)?;
        self.visible(caller, content_hash).await
    }

    /// Changes a memory's tags, type or metadata (`write`); `None` when there is no such memory.
    pub async fn update(
        &self,
        caller: &Principal,
        content_hash: &str,
        change: MemoryChange,
    ) -> Result<Option<Memory>, OAuthError> {
        caller.require(Scope::Write)?;
        let Some(mut memory) = self.visible(caller, content_hash).await? else {
            return Ok(None);
        };
        if let Some(tags) = change.tags {
            memory.tags = normalize_tags(tags)?;
        }
        if let Some(kind) = change.memory_type {
            memory.memory_type = Some(kind.trim().to_owned()).filter(|k| !k.is_empty());
        }
        if let Some(metadata) = change.metadata {
            memory.metadata = metadata_object(Some(metadata))?;
        }
        memory.updated_at = self.clock.now();
        self.store.put_memory(&memory).await?;
        Ok(Some(memory))
    }

    /// Deletes a memory (`write`); whether there was one.
    pub async fn delete(&self, caller: &Principal, content_hash: &str) -> Result<bool, OAuthError> {
        caller.require(Scope::Write)?;
        // Only a per-person space reads the memory first, to check whose it is.
        if self.owner(caller).is_some() && self.visible(caller, content_hash).await?.is_none() {
            return Ok(false);
        }
        Ok(self.store.delete_memory(content_hash).await?)
    }

    /// One page of memories, newest first (`read`).
    pub async fn list(
        &self,
        caller: &Principal,
        listing: Listing,
    ) -> Result<MemoryPage, OAuthError> {
        caller.require(Scope::Read)?;
        if listing.page == 0 || !(1..=MAX_PAGE_SIZE).contains(&listing.page_size) {
            return Err(OAuthError::invalid_request(format!(
                "page starts at 1; page_size is 1 to {MAX_PAGE_SIZE}"
            )));
        }
        let query = MemoryQuery {
            tags: listing.tag.into_iter().collect(),
            match_all: false,
            memory_type: listing.memory_type,
            offset: (listing.page - 1).saturating_mul(listing.page_size),
            limit: listing.page_size,
            owner: self.owner(caller).map(str::to_owned),
        };
        Ok(self.store.list_memories(&query).await?)
    }

    /// Memories relevant to `text`, best first (`read`); `limit` defaults to
    /// [`DEFAULT_SEARCH_RESULTS`] and is at most [`MAX_SEARCH_RESULTS`].
    pub async fn search(
        &self,
        caller: &Principal,
        text: &str,
        limit: Option<usize>,
    ) -> Result<Vec<ScoredMemory>, OAuthError> {
        caller.require(Scope::Read)?;
        let limit = limit.unwrap_or(DEFAULT_SEARCH_RESULTS);
        if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
            return Err(OAuthError::invalid_request(format!(
                "n_results is 1 to {MAX_SEARCH_RESULTS}"
            )));
        }
        Ok(self
            .store
            .search_memories(text, limit, self.owner(caller))
            .await?)
    }

    /// Memories carrying any of `tags` (every one with `match_all`), newest first, at most
    /// [`TAG_SEARCH_LIMIT`] (`read`).
    pub async fn by_tags(
        &self,
        caller: &Principal,
        tags: Vec<String>,
        match_all: bool,
    ) -> Result<TagMatches, OAuthError> {
        caller.require(Scope::Read)?;
        let tags = normalize_tags(tags)?;
        let query = MemoryQuery {
            tags: tags.clone(),
            match_all,
            memory_type: None,
            offset: 0,
            limit: TAG_SEARCH_LIMIT,
            owner: self.owner(caller).map(str::to_owned),
        };
        let found = self.store.list_memories(&query).await?;
        Ok(TagMatches {
            tags,
            memories: found.memories,
            total: found.total,
        })
    }

    /// Every tag in use, most used first (`read`).
    pub async fn tags(&self, caller: &Principal) -> Result<Vec<TagCount>, OAuthError> {
        caller.require(Scope::Read)?;
        Ok(self.store.tags(self.owner(caller)).await?)
    }
}

/// Metadata as stored: a JSON object; nothing or `null` is an empty one.
fn metadata_object(
    metadata: Option<serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, OAuthError> {
    match metadata {
        None | Some(serde_json::Value::Null) => Ok(serde_json::Map::new()),
        Some(serde_json::Value::Object(map)) => Ok(map),
        Some(_) => Err(OAuthError::invalid_request(
            "metadata must be a JSON object",
        )),
    }
}
