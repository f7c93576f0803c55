//! The workbenches the embedded SP's handlers and the desktop app's calls run on: each holds
//! its own SQLite connection, so validations run in parallel on every core and writes
//! serialize in SQLite. One constructor for every shell (`handshake serve`, `handshake demo`,
//! the app), so they share one worker policy.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::connection;
use crate::error::{Error, ErrorCode, Result};
use crate::options::OpenOptions;
use crate::secrets::{self, SecretStore};
use crate::store::Store;
use crate::workbench::Workbench;

/// At most this many workbenches (SQLite connections), however many cores.
const MAX_WORKERS: usize = 8;

pub struct Pool {
    workbenches: Vec<Mutex<Workbench>>,
    next: AtomicUsize,
}

impl Pool {
    pub fn new(workbenches: Vec<Workbench>) -> Self {
        Pool { workbenches: workbenches.into_iter().map(Mutex::new).collect(), next: AtomicUsize::new(0) }
    }

    /// Opens the catalog and the secret store of `options` for a server on its port.
    pub fn open(options: &OpenOptions) -> Result<Self> {
        let secrets = secrets::open(&options.secret_store)?;
        Self::open_with(&Store::resolve_path(options.db.as_deref())?, &secrets, options.port, &options.actor)
    }

    /// [`Workbench`]es over the catalog `db` and one shared secret store (the app keeps
    /// its store across restarts of the SP), with SP URLs derived from `port`, acting as `actor`.
    pub fn open_with(db: &Path, secrets: &Arc<dyn SecretStore>, port: u16, actor: &str) -> Result<Self> {
        let base = connection::base_url(port);
        let workbenches = (0..Self::workers())
            .map(|_| Ok(Workbench::with_parts(Store::open(db)?, secrets.clone(), base.clone()).with_actor(actor)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pool::new(workbenches))
    }

    /// One workbench per core: validation is CPU-bound. At least 2, so one slow request
    /// never holds up the rest; at most [`MAX_WORKERS`], since writes serialize anyway.
    pub fn workers() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, MAX_WORKERS)
    }

    /// Runs `f` on a free workbench (blocking: call from `spawn_blocking`).
    pub fn with<R>(&self, f: impl FnOnce(&Workbench) -> R) -> Result<R> {
        let n = self.workbenches.len().max(1);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Some(Ok(wb)) = self.workbenches.get((start + i) % n).map(Mutex::try_lock) {
                return Ok(f(&wb));
            }
        }
        let slot = self.workbenches.get(start % n).ok_or_else(|| Error::new(ErrorCode::Internal, "no workbench"))?;
        let wb = slot.lock().map_err(|_| Error::new(ErrorCode::Internal, "a request handler panicked earlier"))?;
        Ok(f(&wb))
    }
}
