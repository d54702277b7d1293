//! Memories: the content the protected API stores.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::secret::hex;

/// A stored memory. Its identity is the hash of its normalised content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// SHA-256 (hex) of the trimmed, lower-cased content.
    pub content_hash: String,
    /// The text.
    pub content: String,
    /// Tags, trimmed, without duplicates, in the order given.
    pub tags: Vec<String>,
    /// Free-form type, e.g. `note`, `decision`.
    pub memory_type: Option<String>,
    /// Free-form JSON object.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
    /// Who stored it; absent on memories stored before attribution was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_by: Option<StoredBy>,
}

/// Who stored a memory: the subject of the credentials, and the client that sent them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBy {
    /// The token's subject (the person, or the client itself for `client_credentials`), or
    /// `owner` for the API key.
    pub subject: String,
    /// The client the token was issued to; absent for the API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// Longest accepted memory content, in characters.
pub const MAX_CONTENT_CHARS: usize = 100_000;
/// Most tags on one memory.
pub const MAX_TAGS: usize = 64;

impl Memory {
    /// A new memory from client input: content must not be blank; tags are trimmed, emptied ones
    /// dropped, duplicates removed.
    pub fn compose(
        content: String,
        tags: Vec<String>,
        memory_type: Option<String>,
        metadata: serde_json::Map<String, serde_json::Value>,
        now: UnixTime,
    ) -> Result<Self, OAuthError> {
        if content.trim().is_empty() {
            return Err(OAuthError::invalid_request("content must not be empty"));
        }
        if content.chars().count() > MAX_CONTENT_CHARS {
            return Err(OAuthError::invalid_request(format!(
                "content is longer than {MAX_CONTENT_CHARS} characters"
            )));
        }
        Ok(Self {
            content_hash: content_hash(&content),
            content,
            tags: normalize_tags(tags)?,
            memory_type: memory_type
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            metadata,
            created_at: now,
            updated_at: now,
            stored_by: None,
        })
    }
}

/// Tags trimmed, without empty ones or duplicates, in the order given.
pub fn normalize_tags(tags: Vec<String>) -> Result<Vec<String>, OAuthError> {
    let mut kept: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if !tag.is_empty() && !kept.iter().any(|k| k == tag) {
            kept.push(tag.to_owned());
        }
    }
    if kept.len() > MAX_TAGS {
        return Err(OAuthError::invalid_request(format!(
            "at most {MAX_TAGS} tags"
        )));
    }
    Ok(kept)
}

/// The identity of `content`: SHA-256 of its trimmed, lower-cased text, hex-encoded.
pub fn content_hash(content: &str) -> String {
    hex(&Sha256::digest(content.trim().to_lowercase().as_bytes()))
}

/// The hash of `content` in `owner`'s own memory space: the same text stored by two people is two
/// memories, and one person's hash tells nothing of another's.
pub fn owned_content_hash(owner: &str, content: &str) -> String {
    let digest = Sha256::new()
        .chain_update(owner.as_bytes())
        .chain_update([0])
        .chain_update(content.trim().to_lowercase().as_bytes())
        .finalize();
    hex(&digest)
}

/// Whether `memory` was stored by `owner` (always, without an owner to check).
pub fn owned_by(memory: &Memory, owner: Option<&str>) -> bool {
    owner.is_none_or(|owner| {
        memory
            .stored_by
            .as_ref()
            .is_some_and(|by| by.subject == owner)
    })
}

/// Which memories to list, one page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemoryQuery {
    /// Only memories with these tags (any of them, or all with `match_all`); empty for no filter.
    pub tags: Vec<String>,
    /// With `tags`: require every tag rather than any.
    pub match_all: bool,
    /// Only memories of this type.
    pub memory_type: Option<String>,
    /// Number of memories to skip.
    pub offset: usize,
    /// Most memories to return.
    pub limit: usize,
    /// Only memories stored by this person (a per-person memory space).
    pub owner: Option<String>,
}

impl MemoryQuery {
    /// Whether `memory` passes the filters (not the paging).
    pub fn accepts(&self, memory: &Memory) -> bool {
        let tag_ok = self.tags.is_empty()
            || if self.match_all {
                self.tags.iter().all(|tag| memory.tags.contains(tag))
            } else {
                self.tags.iter().any(|tag| memory.tags.contains(tag))
            };
        let type_ok = self
            .memory_type
            .as_ref()
            .is_none_or(|kind| memory.memory_type.as_ref() == Some(kind));
        tag_ok && type_ok && owned_by(memory, self.owner.as_deref())
    }
}

/// One page of memories, newest first, and how many match in all.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryPage {
    /// The memories of this page.
    pub memories: Vec<Memory>,
    /// How many memories match the filters.
    pub total: usize,
}

/// A search hit.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredMemory {
    /// The memory.
    pub memory: Memory,
    /// Relevance in `0.0..=1.0`, higher is better.
    pub score: f64,
}

/// A tag and how many memories carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagCount {
    /// The tag.
    pub tag: String,
    /// Memories carrying it.
    pub count: usize,
}

/// The relevance of `content` to a search `query`: the share of the query's distinct words that
/// occur in the content, ignoring case. `0.0` means no word matches.
pub fn relevance(query: &str, content: &str) -> f64 {
    let words = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let wanted = words(query);
    if wanted.is_empty() {
        return 0.0;
    }
    let present = words(content);
    wanted.iter().filter(|word| present.contains(*word)).count() as f64 / wanted.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_case_and_surrounding_space() {
        assert_eq!(
            content_hash("  Hello World \n"),
            content_hash("hello world")
        );
        assert_ne!(content_hash("hello world"), content_hash("hello  world"));
        assert_eq!(content_hash("x").len(), 64);
    }

    #[test]
    fn relevance_is_the_share_of_query_words_found() {
        assert_eq!(
            relevance("Deploy fridays", "deploy on tuesdays, never on Fridays"),
            1.0
        );
        assert_eq!(relevance("deploy coffee", "deploy on tuesdays"), 0.5);
        assert_eq!(relevance("zebra", "deploy"), 0.0);
        assert_eq!(relevance("  ", "deploy"), 0.0);
    }
}
