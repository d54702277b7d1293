//! The memory REST API. Reading needs the `read` scope; storing, changing and deleting need `write`.

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::memories::{self, Listing, NewMemory, Stored};
use mcp_oauth_core::model::{Memory, StoredBy};
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::auth::{ApiScope, Auth};
use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// A memory to store.
#[derive(Debug, Object)]
pub struct MemoryInput {
    /// The text; its trimmed, lower-cased SHA-256 is its identity.
    #[oai(validator(min_length = 1, max_length = 100000))]
    pub content: String,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// A free-form type, e.g. `note`.
    pub memory_type: Option<String>,
    /// A JSON object of free-form metadata.
    pub metadata: Option<serde_json::Value>,
}

/// Changes to a stored memory; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct MemoryChange {
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New type.
    pub memory_type: Option<String>,
    /// New metadata (a JSON object).
    pub metadata: Option<serde_json::Value>,
}

/// A stored memory.
#[derive(Debug, Object)]
pub struct MemoryOut {
    /// Identity: SHA-256 of the trimmed, lower-cased content.
    pub content_hash: String,
    /// The text.
    pub content: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Type; absent when the memory has none.
    #[oai(skip_serializing_if_is_none)]
    pub memory_type: Option<String>,
    /// Metadata.
    pub metadata: serde_json::Value,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
    /// Last change (seconds since the epoch).
    pub updated_at: i64,
    /// Who stored it: the person's name (`stored_by.subject`), for display; absent on memories
    /// stored before this was kept.
    #[oai(skip_serializing_if_is_none)]
    pub created_by: Option<String>,
    /// Who stored it, and through which client; absent on memories stored before this was kept.
    #[oai(skip_serializing_if_is_none)]
    pub stored_by: Option<StoredByOut>,
}

/// Who stored a memory.
#[derive(Debug, Object)]
pub struct StoredByOut {
    /// The subject of the credentials: the person, the client itself (`client_credentials`), or
    /// `owner` for the API key.
    pub subject: String,
    /// The client the token was issued to; absent for the API key.
    #[oai(skip_serializing_if_is_none)]
    pub client_id: Option<String>,
}

impl From<StoredBy> for StoredByOut {
    fn from(by: StoredBy) -> Self {
        Self {
            subject: by.subject,
            client_id: by.client_id,
        }
    }
}

impl From<Memory> for MemoryOut {
    fn from(memory: Memory) -> Self {
        Self {
            content_hash: memory.content_hash,
            content: memory.content,
            tags: memory.tags,
            memory_type: memory.memory_type,
            metadata: serde_json::Value::Object(memory.metadata),
            created_at: memory.created_at,
            updated_at: memory.updated_at,
            created_by: memory.stored_by.as_ref().map(|by| by.subject.clone()),
            stored_by: memory.stored_by.map(Into::into),
        }
    }
}

/// The outcome of storing or deleting a memory.
#[derive(Debug, Object)]
pub struct MemoryOutcome {
    /// Whether the operation did what was asked.
    pub success: bool,
    /// What happened.
    pub message: String,
    /// The memory's identity.
    pub content_hash: String,
    /// The memory, when there is one.
    #[oai(skip_serializing_if_is_none)]
    pub memory: Option<MemoryOut>,
}

/// One page of memories.
#[derive(Debug, Object)]
pub struct MemoryList {
    /// The memories, newest first.
    pub memories: Vec<MemoryOut>,
    /// How many match in all.
    pub total: u64,
    /// This page (from 1).
    pub page: u64,
    /// Page size.
    pub page_size: u64,
    /// Whether later pages exist.
    pub has_more: bool,
}

/// A text search.
#[derive(Debug, Object)]
pub struct SearchRequest {
    /// Words to look for.
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub query: String,
    /// Most results (default 5, at most 100).
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub n_results: Option<u32>,
}

/// A search hit.
#[derive(Debug, Object)]
pub struct SearchHit {
    /// The memory.
    pub memory: MemoryOut,
    /// Relevance from 0 to 1.
    pub similarity_score: f64,
}

/// Search results, best first.
#[derive(Debug, Object)]
pub struct SearchResults {
    /// The query.
    pub query: String,
    /// The hits.
    pub results: Vec<SearchHit>,
    /// Number of hits.
    pub total_found: u64,
}

/// A search by tags.
#[derive(Debug, Object)]
pub struct TagSearch {
    /// Tags to look for.
    #[oai(validator(min_items = 1, max_items = 64))]
    pub tags: Vec<String>,
    /// Require every tag (default: any).
    pub match_all: Option<bool>,
}

/// Memories carrying the tags.
#[derive(Debug, Object)]
pub struct TagSearchResults {
    /// The tags searched.
    pub tags: Vec<String>,
    /// The memories, newest first.
    pub memories: Vec<MemoryOut>,
    /// Number of memories.
    pub total: u64,
}

/// A tag in use.
#[derive(Debug, Object)]
pub struct TagInfo {
    /// The tag.
    pub tag: String,
    /// Memories carrying it.
    pub count: u64,
}

/// Every tag in use.
#[derive(Debug, Object)]
pub struct TagList {
    /// Tags, most used first.
    pub tags: Vec<TagInfo>,
}

/// Answers of storing a memory.
#[derive(Debug, ApiResponse)]
pub enum StoreResponse {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<MemoryOutcome>),
    /// The same content was already stored; nothing changed.
    #[oai(status = 200)]
    AlreadyStored(Json<MemoryOutcome>),
}

/// The memory REST API.
pub struct MemoryApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Memories")]
impl MemoryApi {
    /// Store a memory (write)
    #[oai(path = "/api/memories", method = "post")]
    async fn store(
        &self,
        #[oai(scope = "ApiScope::Write")] auth: Auth,
        body: Json<MemoryInput>,
    ) -> Result<StoreResponse, ErrorResponse> {
        let body = body.0;
        let new = NewMemory {
            content: body.content,
            tags: body.tags.unwrap_or_default(),
            memory_type: body.memory_type,
            metadata: body.metadata,
        };
        let stored = self.fail_as_http(self.state.memories.store(&auth.0, new).await)?;
        Ok(match stored {
            Stored::Created(memory) => StoreResponse::Created(Json(MemoryOutcome {
                success: true,
                message: "memory stored".into(),
                content_hash: memory.content_hash.clone(),
                memory: Some(memory.into()),
            })),
            Stored::AlreadyStored(existing) => StoreResponse::AlreadyStored(Json(MemoryOutcome {
                success: true,
                message: "this content was already stored".into(),
                content_hash: existing.content_hash.clone(),
                memory: Some(existing.into()),
            })),
        })
    }

    /// List memories, newest first (read)
    #[oai(path = "/api/memories", method = "get")]
    async fn list(
        &self,
        #[oai(scope = "ApiScope::Read")] auth: Auth,
        /// Page number, from 1.
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "1000000"))
        )]
        page: Query<u64>,
        /// Memories per page, 1 to 100.
        #[oai(
            default = "default_page_size",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        page_size: Query<u64>,
        /// Only memories with this tag.
        tag: Query<Option<String>>,
        /// Only memories of this type.
        memory_type: Query<Option<String>>,
    ) -> Result<Json<MemoryList>, ErrorResponse> {
        let listing = Listing {
            tag: tag.0,
            memory_type: memory_type.0,
            page: page.0 as usize,
            page_size: page_size.0 as usize,
        };
        let found = self.fail_as_http(self.state.memories.list(&auth.0, listing).await)?;
        let total = found.total as u64;
        Ok(Json(MemoryList {
            memories: found.memories.into_iter().map(Into::into).collect(),
            total,
            page: page.0,
            page_size: page_size.0,
            has_more: page.0 * page_size.0 < total,
        }))
    }

    /// Read one memory (read)
    #[oai(path = "/api/memories/:content_hash", method = "get")]
    async fn get(
        &self,
        #[oai(scope = "ApiScope::Read")] auth: Auth,
        /// The memory's content hash.
        content_hash: Path<String>,
    ) -> Result<Json<MemoryOut>, ErrorResponse> {
        let found = self.fail_as_http(self.state.memories.get(&auth.0, &content_hash.0).await)?;
        found
            .map(|memory| Json(memory.into()))
            .ok_or_else(|| self.not_found())
    }

    /// Change a memory's tags, type or metadata (write)
    #[oai(path = "/api/memories/:content_hash", method = "put")]
    async fn update(
        &self,
        #[oai(scope = "ApiScope::Write")] auth: Auth,
        /// The memory's content hash.
        content_hash: Path<String>,
        body: Json<MemoryChange>,
    ) -> Result<Json<MemoryOut>, ErrorResponse> {
        let change = body.0;
        let change = memories::MemoryChange {
            tags: change.tags,
            memory_type: change.memory_type,
            metadata: change.metadata,
        };
        let updated = self.state.memories.update(&auth.0, &content_hash.0, change);
        self.fail_as_http(updated.await)?
            .map(|memory| Json(memory.into()))
            .ok_or_else(|| self.not_found())
    }

    /// Delete a memory (write)
    #[oai(path = "/api/memories/:content_hash", method = "delete")]
    async fn delete(
        &self,
        #[oai(scope = "ApiScope::Write")] auth: Auth,
        /// The memory's content hash.
        content_hash: Path<String>,
    ) -> Result<Json<MemoryOutcome>, ErrorResponse> {
        let deleted = self.state.memories.delete(&auth.0, &content_hash.0);
        if !self.fail_as_http(deleted.await)? {
            return Err(self.not_found());
        }
        Ok(Json(MemoryOutcome {
            success: true,
            message: "memory deleted".into(),
            content_hash: content_hash.0,
            memory: None,
        }))
    }

    /// Search memories by text relevance (read)
    #[oai(path = "/api/search", method = "post")]
    async fn search(
        &self,
        #[oai(scope = "ApiScope::Read")] auth: Auth,
        body: Json<SearchRequest>,
    ) -> Result<Json<SearchResults>, ErrorResponse> {
        let limit = body.n_results.map(|n| n as usize);
        let hits = self.state.memories.search(&auth.0, &body.query, limit);
        let hits = self.fail_as_http(hits.await)?;
        Ok(Json(SearchResults {
            total_found: hits.len() as u64,
            results: hits
                .into_iter()
                .map(|hit| SearchHit {
                    similarity_score: hit.score,
                    memory: hit.memory.into(),
                })
                .collect(),
            query: body.0.query,
        }))
    }

    /// Find memories by tags (read)
    #[oai(path = "/api/search/by-tag", method = "post")]
    async fn by_tag(
        &self,
        #[oai(scope = "ApiScope::Read")] auth: Auth,
        body: Json<TagSearch>,
    ) -> Result<Json<TagSearchResults>, ErrorResponse> {
        let body = body.0;
        let found =
            self.state
                .memories
                .by_tags(&auth.0, body.tags, body.match_all.unwrap_or(false));
        let found = self.fail_as_http(found.await)?;
        Ok(Json(TagSearchResults {
            tags: found.tags,
            total: found.memories.len() as u64,
            memories: found.memories.into_iter().map(Into::into).collect(),
        }))
    }

    /// Every tag in use, most used first (read)
    #[oai(path = "/api/tags", method = "get")]
    async fn tags(
        &self,
        #[oai(scope = "ApiScope::Read")] auth: Auth,
    ) -> Result<Json<TagList>, ErrorResponse> {
        let tags = self.fail_as_http(self.state.memories.tags(&auth.0).await)?;
        Ok(Json(TagList {
            tags: tags
                .into_iter()
                .map(|t| TagInfo {
                    tag: t.tag,
                    count: t.count as u64,
                })
                .collect(),
        }))
    }
}

impl MemoryApi {
    fn fail_as_http<T>(&self, result: Result<T, OAuthError>) -> Result<T, ErrorResponse> {
        result.map_err(|error| self.state.fail(error))
    }

    fn not_found(&self) -> ErrorResponse {
        self.state.challenge.render_with_status(
            &OAuthError::invalid_request("no memory with this content hash"),
            Some(StatusCode::NOT_FOUND),
        )
    }
}

fn default_page() -> u64 {
    1
}

fn default_page_size() -> u64 {
    10
}
