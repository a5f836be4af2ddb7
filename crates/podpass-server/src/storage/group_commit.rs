//! The group-commit writer: one thread that turns many queued write requests into one backend
//! transaction, so concurrent logins share a single fsync instead of paying one each.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::backend::{Backend, StorageError, WriteOp};

/// At most this many requests share one transaction, which bounds the size of a commit (and the
/// latency of the request that waits longest) under a flood of writes.
const MAX_GROUP_REQUESTS: usize = 1024;

/// The answer to one write request: Ok once its ops are durable.
pub(super) type WriteReply = oneshot::Receiver<Result<(), StorageError>>;

struct WriteRequest {
    ops: Vec<WriteOp>,
    reply: oneshot::Sender<Result<(), StorageError>>,
}

/// Commit counters, shared between the writer thread and the [`Store`](super::Store).
#[derive(Debug, Default)]
pub(super) struct CommitCounters {
    /// Successful backend writes, i.e. fsyncs.
    pub(super) commits: AtomicU64,
    /// Write requests acknowledged as durable.
    pub(super) writes: AtomicU64,
}

/// Owns the writer thread; dropping it lets the thread finish what is queued, then joins it.
pub(super) struct GroupCommitWriter {
    requests: Option<mpsc::Sender<WriteRequest>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommitWriter {
    /// Starts the writer thread over `backend`.
    pub(super) fn start(backend: Arc<dyn Backend>, counters: Arc<CommitCounters>) -> Self {
        let (requests, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("podpass-store-writer".to_owned())
            .spawn(move || run(backend.as_ref(), &queue, &counters));
        match thread {
            Ok(thread) => GroupCommitWriter {
                requests: Some(requests),
                thread: Some(thread),
            },
            Err(error) => {
                // Without a writer nothing can be made durable: every write reports Closed, but
                // reads keep working.
                tracing::error!(%error, "cannot start the storage writer thread");
                GroupCommitWriter {
                    requests: None,
                    thread: None,
                }
            }
        }
    }

    /// Queues `ops` for the next group commit; the reply resolves once they are durable.
    pub(super) fn submit(&self, ops: Vec<WriteOp>) -> Result<WriteReply, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .as_ref()
            .ok_or(StorageError::Closed)?
            .send(WriteRequest { ops, reply })
            .map_err(|_| StorageError::Closed)?;
        Ok(answer)
    }
}

impl Drop for GroupCommitWriter {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop once every queued request is committed.
        drop(self.requests.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the storage writer thread panicked");
        }
    }
}

/// The writer loop: block for one request, take every other request already queued, commit them
/// together. While a commit runs, new requests pile up and form the next group, so the group
/// size adapts to load with no timer and no added latency when idle.
fn run(backend: &dyn Backend, queue: &mpsc::Receiver<WriteRequest>, counters: &CommitCounters) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP_REQUESTS {
            match queue.try_recv() {
                Ok(request) => group.push(request),
                Err(_) => break,
            }
        }
        commit_group(backend, group, counters);
    }
}

fn commit_group(backend: &dyn Backend, group: Vec<WriteRequest>, counters: &CommitCounters) {
    if group.len() == 1 {
        for request in group {
            commit_alone(backend, request, counters);
        }
        return;
    }
    // The requests' ops, in queue order, as one transaction. The copies are kept so a failed
    // group can be retried request by request.
    let merged: Vec<WriteOp> = group
        .iter()
        .flat_map(|request| request.ops.iter().cloned())
        .collect();
    match backend.write(merged) {
        Ok(()) => {
            counters.commits.fetch_add(1, Ordering::Relaxed);
            counters
                .writes
                .fetch_add(group.len() as u64, Ordering::Relaxed);
            for request in group {
                // A caller that stopped waiting is no reason to fail the others.
                let _ = request.reply.send(Ok(()));
            }
        }
        Err(error) => {
            // One bad request must not sink the rest of its group: give each its own
            // transaction and its own answer.
            tracing::warn!(%error, requests = group.len(), "group commit failed; committing each write alone");
            for request in group {
                commit_alone(backend, request, counters);
            }
        }
    }
}

fn commit_alone(backend: &dyn Backend, request: WriteRequest, counters: &CommitCounters) {
    let result = backend.write(request.ops);
    if result.is_ok() {
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters.writes.fetch_add(1, Ordering::Relaxed);
    }
    let _ = request.reply.send(result);
}
