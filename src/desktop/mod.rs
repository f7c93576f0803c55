//! The app layer: what the desktop app needs around the core API. [`Desktop`] owns the
//! embedded SP's lifecycle (start on a port, restart on another, stop at exit), the pool of
//! workbenches the server and the window share, cancellable operations, and the app status;
//! it runs each core operation (crate::workbench) off the async executor, one line each. The
//! Tauri shell adds only what needs the OS: windows, events, writing the files the user
//! chose, opening the system browser.

#[cfg(feature = "typescript")]
pub mod bindings;
mod demo;
pub mod oidc;
pub mod scim;
pub mod views;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, broadcast, oneshot};

use crate::clock::Clock;
use crate::connection::{self, SecurityPolicy};
use crate::directory::{AuditEntry, AuditQuery, User, UserQuery, UserStatus};
use crate::error::{Error, ErrorCode, Result};
use crate::login::TestLoginSummary;
use crate::metadata;
use crate::provision::MappingDocument;
use crate::scim::ScimRequestSummary;
use crate::secrets::{self, SecretStore};
use crate::server::{self, AppState, Pool};
use crate::store::Store;
use crate::workbench::{
    AnalyzeResult, AuditFormat, ConnectionSummary, ConnectionView, ImportOutcome, ImportRequest, JudgingContext,
    MappingPreview, MetadataPreview, OpenOptions, PresetInfo, ReimportPreview, RemoveOutcome, ResponseAddressing,
    TestLoginDetail, UserDetail, Workbench,
};
pub use oidc::{
    JwkInfo, JwksFetched, OidcAddRequest, OidcDiscovery, OidcManualEndpoints, OidcSettingsChange, RediscoverPreview,
};
pub use scim::ScimTokenIssued;
pub use views::*;

/// An audit export: the file's content and how many rows it holds.
#[derive(Debug, Clone)]
pub struct AuditExport {
    pub content: String,
    pub rows: usize,
}

struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

pub struct Desktop {
    db: PathBuf,
    /// The OS user the audit log names on admin rows.
    actor: String,
    clock: Arc<dyn Clock>,
    /// Checked again on every use and status (a fixed store works without a restart).
    secrets: Arc<dyn SecretStore>,
    events: broadcast::Sender<TestLoginSummary>,
    /// Every SCIM request the embedded server answered, for the live log.
    scim_events: broadcast::Sender<ScimRequestSummary>,
    state: RwLock<AppState>,
    status: Mutex<ServerStatus>,
    running: tokio::sync::Mutex<Option<Running>>,
    operations: Mutex<HashMap<String, Arc<Notify>>>,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Internal, e.to_string())
}

impl Desktop {
    /// Opens the catalog and the secret store. The embedded SP is started separately
    /// ([`Desktop::start_server`]) so a taken port never stops the app from opening.
    pub fn open(options: &OpenOptions, clock: Arc<dyn Clock>) -> Result<Self> {
        let db = Store::resolve_path(options.db.as_deref())?;
        // Fail early on an unusable catalog, with its own message.
        drop(Store::open(&db)?);
        // Never fails here: an unusable store shows in the status, and works once fixed.
        let secrets = secrets::open_when_usable(&options.secret_store);
        let (events, _) = broadcast::channel(64);
        let (scim_events, _) = broadcast::channel(256);
        let port = options.port;
        let state = AppState::with_events(
            Pool::open_with(&db, &secrets, port, &options.actor)?,
            clock.clone(),
            events.clone(),
        )?
        .with_scim_events(scim_events.clone());
        let status = ServerStatus { running: false, port, base_url: connection::base_url(port), error: None };
        Ok(Desktop {
            db,
            actor: options.actor.clone(),
            clock,
            secrets,
            events,
            scim_events,
            state: RwLock::new(state),
            status: Mutex::new(status),
            running: tokio::sync::Mutex::new(None),
            operations: Mutex::new(HashMap::new()),
        })
    }

    /// Test logins as they complete at the ACS, for the window to show live.
    pub fn subscribe(&self) -> broadcast::Receiver<TestLoginSummary> {
        self.events.subscribe()
    }

    fn state(&self) -> Result<AppState> {
        self.state.read().map(|s| s.clone()).map_err(|_| internal("the app state is poisoned"))
    }

    /// Runs `f` on a pooled workbench in a blocking thread, with the current instant.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Workbench, DateTime<Utc>) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let pool = self.state()?.pool;
        let now = self.clock.now();
        tokio::task::spawn_blocking(move || pool.with(|wb| f(wb, now)).and_then(|r| r))
            .await
            .map_err(|e| internal(format!("a background task failed: {e}")))?
    }

    /// Runs `work` until it ends or [`Desktop::cancel`] is called with `operation`.
    async fn cancellable<R>(&self, operation: &str, work: impl Future<Output = Result<R>>) -> Result<R> {
        let notify = Arc::new(Notify::new());
        if let Ok(mut ops) = self.operations.lock() {
            ops.insert(operation.to_owned(), notify.clone());
        }
        let result = tokio::select! {
            r = work => r,
            () = notify.notified() => Err(Error::new(ErrorCode::Cancelled, "cancelled")),
        };
        if let Ok(mut ops) = self.operations.lock() {
            ops.remove(operation);
        }
        result
    }

    /// Cancels a running operation; false if it had already ended.
    pub fn cancel(&self, operation: &str) -> bool {
        let found = self.operations.lock().ok().and_then(|ops| ops.get(operation).cloned());
        found.inspect(|n| n.notify_one()).is_some()
    }

    // ---- the app and the embedded SP ----

    pub fn status(&self) -> AppStatus {
        AppStatus {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: self.db.display().to_string(),
            secret_store: self.secrets.describe(),
            secret_store_error: self.secrets.check().err(),
            server: self.server_status(),
        }
    }

    pub fn server_status(&self) -> ServerStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_else(|_| ServerStatus {
            running: false,
            port: 0,
            base_url: String::new(),
            error: Some(internal("the server status is poisoned")),
        })
    }

    fn set_status(&self, status: ServerStatus) -> ServerStatus {
        if let Ok(mut s) = self.status.lock() {
            *s = status.clone();
        }
        status
    }

    /// (Re)starts the embedded SP on 127.0.0.1:`port` (0 picks a free port). Never fails:
    /// a taken port comes back in the status, for the window's banner.
    pub async fn start_server(&self, port: u16) -> ServerStatus {
        self.stop_server().await;
        let listener = match server::bind(port).await {
            Ok(l) => l,
            Err(e) => {
                // Connections derive their SP URLs from the chosen port even while it is taken.
                if let Ok(pool) = Pool::open_with(&self.db, &self.secrets, port, &self.actor) {
                    let _ = self.swap_pool(pool);
                }
                let base_url = connection::base_url(port);
                return self.set_status(ServerStatus { running: false, port, base_url, error: Some(e) });
            }
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        let base_url = connection::base_url(port);
        let pool = match Pool::open_with(&self.db, &self.secrets, port, &self.actor) {
            Ok(p) => p,
            Err(e) => return self.set_status(ServerStatus { running: false, port, base_url, error: Some(e) }),
        };
        let state = match self.swap_pool(pool) {
            Ok(s) => s,
            Err(e) => return self.set_status(ServerStatus { running: false, port, base_url, error: Some(e) }),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        *self.running.lock().await = Some(Running { stop, task });
        self.set_status(ServerStatus { running: true, port, base_url, error: None })
    }

    fn swap_pool(&self, pool: Pool) -> Result<AppState> {
        let state = AppState::with_events(pool, self.clock.clone(), self.events.clone())?
            .with_scim_events(self.scim_events.clone());
        if let Ok(mut s) = self.state.write() {
            *s = state.clone();
        }
        Ok(state)
    }

    /// Stops the embedded SP, letting in-flight requests finish (at most 5 s).
    pub async fn stop_server(&self) {
        if let Some(running) = self.running.lock().await.take() {
            let _ = running.stop.send(());
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), running.task).await;
            if let Ok(mut s) = self.status.lock() {
                s.running = false;
            }
        }
    }

    // ---- one call each into the core API (crate::workbench) ----

    pub async fn list_connections(&self) -> Result<Vec<ConnectionSummary>> {
        self.run(|wb, now| wb.connection_summaries(now)).await
    }

    pub async fn connection(&self, name: String) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.connection(&name, now)).await
    }

    /// Downloads metadata from `url` (cancellable under `operation`).
    pub async fn fetch_metadata(&self, url: String, operation: String) -> Result<String> {
        self.cancellable(&operation, metadata::fetch(&url)).await
    }

    pub async fn preview_metadata(&self, xml: String, entity_id: Option<String>) -> Result<MetadataPreview> {
        self.run(move |wb, now| wb.preview_metadata(&xml, entity_id.as_deref(), now)).await
    }

    /// Saves a connection; the detected product's mapping preset is applied.
    pub async fn import_connection(&self, request: ImportRequest) -> Result<ImportOutcome> {
        self.run(move |wb, now| wb.import_connection(&request, now)).await
    }

    pub async fn duplicate_connection(&self, name: String, new_name: String) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.duplicate_connection(&name, &new_name, now)).await
    }

    pub async fn remove_connection(&self, name: String) -> Result<RemoveOutcome> {
        self.run(move |wb, now| wb.remove_connection(&name, now)).await
    }

    /// The connection as a file's content (the shell writes it where the user chose).
    pub async fn export_connection(&self, name: String) -> Result<String> {
        self.run(move |wb, _| wb.export_connection(&name)).await
    }

    pub async fn import_connection_file(&self, content: String, name: Option<String>) -> Result<ImportOutcome> {
        self.run(move |wb, now| wb.import_connection_file(&content, name.as_deref(), now)).await
    }

    /// Re-fetches the connection's metadata URL and lists what would change.
    pub async fn reimport_preview(&self, name: String, operation: String) -> Result<ReimportPreview> {
        let n = name.clone();
        let url = self.run(move |wb, now| Ok(wb.connection(&n, now)?.metadata_source)).await?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::invalid(format!(
                "this connection's metadata came from {url:?}, not a URL: import the new file instead"
            )));
        }
        let xml = self.fetch_metadata(url.clone(), operation).await?;
        self.run(move |wb, now| {
            let (changes, warnings) = wb.metadata_changes(&name, &xml, now)?;
            Ok(ReimportPreview { url, metadata_xml: xml, changes, warnings })
        })
        .await
    }

    /// Replaces the connection's metadata (after [`Desktop::reimport_preview`]).
    pub async fn replace_metadata(&self, name: String, xml: String, source: String) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.replace_metadata(&name, &xml, &source, now)).await
    }

    pub async fn set_policy(&self, name: String, policy: SecurityPolicy) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.set_policy(&name, policy, now)).await
    }

    pub async fn set_sp_urls(
        &self,
        name: String,
        entity_id: Option<String>,
        acs_url: Option<String>,
    ) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.set_sp_urls(&name, entity_id, acs_url, now)).await
    }

    pub async fn rotate_sp_key(&self, name: String) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.rotate_sp_key(&name, now)).await
    }

    pub async fn sp_metadata(&self, name: String) -> Result<String> {
        self.run(move |wb, _| wb.sp_metadata(&name)).await
    }

    pub async fn presets(&self) -> Result<Vec<PresetInfo>> {
        self.run(|wb, _| Ok(wb.presets())).await
    }

    pub async fn mapping(&self, name: String) -> Result<MappingDocument> {
        self.run(move |wb, _| wb.mapping(&name)).await
    }

    pub async fn set_mapping(&self, name: String, mapping: MappingDocument) -> Result<MappingDocument> {
        self.run(move |wb, now| wb.set_mapping(&name, &mapping, now)).await
    }

    pub async fn preview_mapping(&self, name: String, mapping: MappingDocument) -> Result<MappingPreview> {
        self.run(move |wb, now| wb.preview_mapping(&name, &mapping, now)).await
    }

    /// Where a browser starts an SP-initiated test login (the embedded SP redirects it on).
    pub async fn login_url(&self, name: String) -> Result<String> {
        let status = self.server_status();
        if !status.running {
            return Err(Error::new(
                ErrorCode::PortInUse,
                format!("the embedded SP is not running on port {}; pick a free port first", status.port),
            ));
        }
        let base = status.base_url;
        self.run(move |wb, _| wb.login_url(&name, &base)).await
    }

    pub async fn test_logins(&self, connection: Option<String>, limit: u32) -> Result<Vec<TestLoginSummary>> {
        self.run(move |wb, _| wb.test_logins(connection.as_deref(), limit)).await
    }

    pub async fn test_login(&self, id: i64) -> Result<TestLoginDetail> {
        self.run(move |wb, _| wb.test_login_detail(id)).await
    }

    pub async fn analyze_response(
        &self,
        name: String,
        response: String,
        context: JudgingContext,
    ) -> Result<AnalyzeResult> {
        self.run(move |wb, now| wb.analyze_response(&name, &response, &context, now)).await
    }

    pub async fn response_addressing(&self, response: String) -> Result<ResponseAddressing> {
        self.run(move |wb, _| wb.response_addressing(&response)).await
    }

    pub async fn users(&self, query: UserQuery) -> Result<Vec<User>> {
        self.run(move |wb, _| wb.users(&query)).await
    }

    pub async fn user(&self, id: i64) -> Result<UserDetail> {
        self.run(move |wb, _| wb.user_detail(id)).await
    }

    pub async fn set_user_status(&self, id: i64, status: UserStatus) -> Result<User> {
        self.run(move |wb, now| wb.set_user_status(id, status, now)).await
    }

    pub async fn delete_user(&self, id: i64) -> Result<()> {
        self.run(move |wb, now| wb.delete_user(id, now)).await
    }

    /// Audit rows matching `query`, newest first.
    pub async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.run(move |wb, _| wb.audit(&query)).await
    }

    /// The matching audit rows as a file's content, oldest first, and how many there are
    /// (the shell writes it where the user chose).
    pub async fn export_audit(&self, query: AuditQuery, format: AuditFormat) -> Result<AuditExport> {
        self.run(move |wb, _| {
            let (content, rows) = wb.export_audit(&query, format)?;
            Ok(AuditExport { content, rows })
        })
        .await
    }
}
