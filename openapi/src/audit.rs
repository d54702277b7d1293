//! The audit trail on its way to the storage: events are noted without waiting and written in
//! batches by one task, so a request never waits on the trail. What is noted: registrations,
//! consent decisions, tokens issued and refreshed, revocations and key rotations, naming clients
//! and people, never a secret. `memory audit` reads it back.

use std::sync::Arc;

use mcp_oauth_core::model::{AuditEvent, AuditKind};
use mcp_oauth_core::{AuditStore, Clock};
use tokio::sync::mpsc;

/// Events waiting to be written; beyond this, new ones are dropped with a warning (the storage
/// is down or far behind).
const QUEUE: usize = 16_384;
/// Most events in one write.
const BATCH: usize = 512;

/// The audit trail's front: notes events for the writer task.
pub struct AuditTrail {
    queue: mpsc::Sender<AuditEvent>,
    clock: Arc<dyn Clock>,
}

impl AuditTrail {
    /// Starts the writer task appending to `store`; it ends when the trail is dropped, after
    /// writing what was queued.
    pub fn start(store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>) -> Self {
        let (queue, events) = mpsc::channel(QUEUE);
        tokio::spawn(write(store, events));
        Self { queue, clock }
    }

    /// Notes an event of `kind`, now, as `describe` fills it in.
    pub fn note(&self, kind: AuditKind, describe: impl FnOnce(AuditEvent) -> AuditEvent) {
        let event = describe(AuditEvent::new(kind, self.clock.now()));
        if self.queue.try_send(event).is_err() {
            tracing::warn!(target: "storage", kind = kind.as_str(), "audit event dropped: the storage is not keeping up");
        }
    }
}

/// Appends queued events in batches until the queue closes.
async fn write(store: Arc<dyn AuditStore>, mut events: mpsc::Receiver<AuditEvent>) {
    let mut batch = Vec::with_capacity(BATCH);
    while events.recv_many(&mut batch, BATCH).await > 0 {
        if let Err(error) = store.append_audit(&batch).await {
            tracing::warn!(target: "storage", %error, lost = batch.len(), "audit events could not be written");
        }
        batch.clear();
    }
}
