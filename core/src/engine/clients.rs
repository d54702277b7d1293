//! Registered clients read recently, so that the authorization and token endpoints rarely read
//! storage for a client they have just seen.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::UnixTime;
use crate::model::{Client, ClientId};

/// How long a client read from storage is believed: the longest an update or deletion made on
/// another replica can go unnoticed here (the replica that made it forgets its copy at once).
/// Matches the revocation cache, so a deleted client's tokens and the client itself stop working
/// elsewhere within the same few seconds.
const CLIENT_TTL: i64 = 5;
/// Most clients held before the cache starts afresh.
const CLIENT_LIMIT: usize = 16_384;

/// Client id → (client, believed until). Only clients that exist are kept, so a client registered
/// on another replica is found at once.
#[derive(Default)]
pub(crate) struct ClientCache {
    entries: Mutex<HashMap<ClientId, (Client, UnixTime)>>,
}

impl ClientCache {
    pub(crate) fn get(&self, id: &ClientId, now: UnixTime) -> Option<Client> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(id)
            .filter(|(_, until)| *until > now)
            .map(|(client, _)| client.clone())
    }

    pub(crate) fn put(&self, client: &Client, now: UnixTime) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CLIENT_LIMIT {
            entries.clear();
        }
        entries.insert(client.client_id.clone(), (client.clone(), now + CLIENT_TTL));
    }

    pub(crate) fn forget(&self, id: &ClientId) {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(id);
    }
}
