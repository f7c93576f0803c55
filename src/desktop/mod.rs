//! The desktop app's API. Every Tauri command is a one-line call into [`Desktop`]; the
//! app shell adds only what needs the OS: windows, events, writing the files the user
//! chose, opening the system browser. Calls run the blocking core (SQLite, xmlsec)
//! off the async executor, so the window never waits on them.

#[cfg(feature = "typescript")]
pub mod bindings;
mod demo;
pub mod ops;
pub mod vendor;
pub mod views;
pub mod xmlview;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Notify, broadcast, oneshot};

use crate::clock::Clock;
use crate::connection::{self, SecurityPolicy};
use crate::error::{Error, ErrorCode, Result};
use crate::metadata;
use crate::provision::{self, Claims, MappingDocument, User, UserStatus};
use crate::secrets::{self, SecretStore};
use crate::sensitive::Sensitive;
use crate::server::{self, AppState, Pool};
use crate::store::Store;
use crate::testlogin::TestLoginSummary;
use crate::workbench::{self, ConnectionView, ImportOutcome, ImportRequest, OpenOptions, RemoveOutcome, Workbench};
pub use views::*;

/// Certificates expiring within this many days get a warning badge.
const EXPIRY_WARNING_DAYS: i64 = 30;
/// How many earlier test logins the mapping preview looks through for claims.
const PREVIEW_LOOKBACK: u32 = 50;

/// A secret store that could not be opened: every use reports why.
struct UnavailableStore(Error);

impl SecretStore for UnavailableStore {
    fn get(&self, _: &str) -> Result<Option<Sensitive<Vec<u8>>>> {
        Err(self.0.clone())
    }
    fn set(&self, _: &str, _: &Sensitive<Vec<u8>>) -> Result<()> {
        Err(self.0.clone())
    }
    fn delete(&self, _: &str) -> Result<()> {
        Err(self.0.clone())
    }
    fn describe(&self) -> String {
        "unavailable".into()
    }
}

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
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretStore>,
    secret_store_error: Option<Error>,
    events: broadcast::Sender<TestLoginSummary>,
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
        let (secrets, secret_store_error) = match secrets::open(&options.secret_store) {
            Ok(s) => (s, None),
            Err(e) => (Arc::new(UnavailableStore(e.clone())) as Arc<dyn SecretStore>, Some(e)),
        };
        let (events, _) = broadcast::channel(64);
        let port = options.port;
        let state = AppState::with_events(Pool::open_with(&db, &secrets, port)?, clock.clone(), events.clone())?;
        let status = ServerStatus { running: false, port, base_url: connection::base_url(port), error: None };
        Ok(Desktop {
            db,
            clock,
            secrets,
            secret_store_error,
            events,
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
            secret_store_error: self.secret_store_error.clone(),
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
                if let Ok(pool) = Pool::open_with(&self.db, &self.secrets, port) {
                    let _ = self.swap_pool(pool);
                }
                let base_url = connection::base_url(port);
                return self.set_status(ServerStatus { running: false, port, base_url, error: Some(e) });
            }
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        let base_url = connection::base_url(port);
        let pool = match Pool::open_with(&self.db, &self.secrets, port) {
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
        let state = AppState::with_events(pool, self.clock.clone(), self.events.clone())?;
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

    // ---- connections ----

    pub async fn list_connections(&self) -> Result<Vec<ConnectionSummary>> {
        self.run(|wb, now| {
            let mut out = Vec::new();
            for c in wb.list_connections()? {
                out.push(summary(wb, c, now)?);
            }
            Ok(out)
        })
        .await
    }

    pub async fn connection(&self, name: String) -> Result<ConnectionView> {
        self.run(move |wb, _| wb.connection(&name)).await
    }

    /// Downloads metadata from `url` (cancellable under `operation`).
    pub async fn fetch_metadata(&self, url: String, operation: String) -> Result<String> {
        self.cancellable(&operation, metadata::fetch(&url)).await
    }

    /// What importing `xml` would give, before anything is saved.
    pub async fn preview_metadata(&self, xml: String, entity_id: Option<String>) -> Result<MetadataPreview> {
        self.run(move |wb, now| {
            let idps = metadata::list_idps(&xml)?;
            let (chosen, aggregate, error) = match metadata::import(&xml, entity_id.as_deref(), now) {
                Ok(imported) => {
                    (Some(IdpPreview { idp: imported.idp, warnings: imported.warnings }), imported.aggregate, None)
                }
                Err(e) => (None, None, Some(Error::from(e))),
            };
            let vendor = chosen.as_ref().map_or("generic", |c| vendor::guess(&c.idp.entity_id, &c.idp.sso)).to_owned();
            let suggested_name = suggest_name(wb, chosen.as_ref().map(|c| &c.idp), &vendor)?;
            let vendor_label = vendor::label(&vendor).to_owned();
            Ok(MetadataPreview { idps, aggregate, chosen, error, vendor, vendor_label, suggested_name })
        })
        .await
    }

    /// Saves a connection; applies the vendor's mapping preset when there is one.
    pub async fn import_connection(&self, request: ImportRequest) -> Result<ImportOutcome> {
        self.run(move |wb, now| {
            let outcome = wb.import_connection(&request, now)?;
            let vendor = vendor::guess(&outcome.connection.idp_entity_id, &outcome.connection.sso);
            if let Some(preset) = vendor::preset(vendor) {
                wb.apply_preset(&request.name, preset, now)?;
            }
            Ok(outcome)
        })
        .await
    }

    pub async fn duplicate_connection(&self, name: String, new_name: String) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.duplicate_connection(&name, &new_name, now)).await
    }

    pub async fn remove_connection(&self, name: String) -> Result<RemoveOutcome> {
        self.run(move |wb, _| wb.remove_connection(&name)).await
    }

    /// The connection as a file's content (the shell writes it where the user chose).
    pub async fn export_connection(&self, name: String) -> Result<String> {
        self.run(move |wb, _| wb.export_connection(&name)).await
    }

    pub async fn import_connection_file(&self, content: String, name: Option<String>) -> Result<ImportOutcome> {
        self.run(move |wb, now| {
            let (connection, warnings) = wb.import_connection_file(&content, name.as_deref(), now)?;
            Ok(ImportOutcome { connection, warnings })
        })
        .await
    }

    /// Re-fetches the connection's metadata URL and lists what would change.
    pub async fn reimport_preview(&self, name: String, operation: String) -> Result<ReimportPreview> {
        let n = name.clone();
        let url = self.run(move |wb, _| Ok(wb.connection(&n)?.metadata_source)).await?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::invalid(format!(
                "this connection's metadata came from {url:?}, not a URL; import the new file instead"
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

    // ---- mapping ----

    pub fn presets(&self) -> Vec<PresetInfo> {
        std::iter::once("generic")
            .chain(provision::presets::PRESETS)
            .filter_map(|name| {
                let document =
                    if name == "generic" { provision::presets::generic() } else { provision::presets::preset(name)? };
                Some(PresetInfo { name: name.to_owned(), label: vendor::label(name).to_owned(), document })
            })
            .collect()
    }

    pub async fn mapping(&self, name: String) -> Result<MappingDocument> {
        self.run(move |wb, _| wb.mapping(&name)).await
    }

    pub async fn set_mapping(&self, name: String, mapping: MappingDocument) -> Result<MappingDocument> {
        self.run(move |wb, now| wb.set_mapping(&name, &mapping, now)).await
    }

    /// What `mapping` (saved or not) makes of the claims of the connection's last test
    /// login that had any. Writes nothing.
    pub async fn preview_mapping(&self, name: String, mapping: MappingDocument) -> Result<MappingPreview> {
        self.run(move |wb, now| {
            let mut found = None;
            for s in wb.test_logins(Some(&name), PREVIEW_LOOKBACK)? {
                let t = wb.test_login(s.id)?;
                if t.report.name_id.is_some() || !t.report.attributes.is_empty() {
                    found = Some((t.id, Claims { name_id: t.report.name_id, attributes: t.report.attributes }));
                    break;
                }
            }
            let (test_login_id, claims) = match found {
                Some((id, claims)) => (Some(id), claims),
                None => (None, Claims::default()),
            };
            let mut preview = MappingPreview {
                test_login_id,
                claims,
                outcome: None,
                user: None,
                diff: Vec::new(),
                trace: None,
                reason: None,
                message: None,
                error: None,
            };
            if test_login_id.is_none() {
                return Ok(preview);
            }
            match wb.dry_run_mapping(&name, &mapping, &preview.claims, now) {
                Ok(r) => {
                    preview.outcome = Some(r.outcome);
                    preview.user = r.user;
                    preview.diff = r.diff;
                    preview.trace = Some(r.trace);
                    preview.reason = r.reason;
                    preview.message = r.message;
                }
                Err(e) if e.code == ErrorCode::InvalidInput => preview.error = Some(e),
                Err(e) => return Err(e),
            }
            Ok(preview)
        })
        .await
    }

    // ---- test logins ----

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
        self.run(move |wb, _| {
            let c = wb.connection(&name)?;
            Ok(format!("{base}/saml/{}/login", connection::url_segment(&c.name)))
        })
        .await
    }

    pub async fn test_logins(&self, connection: Option<String>, limit: u32) -> Result<Vec<TestLoginSummary>> {
        self.run(move |wb, _| wb.test_logins(connection.as_deref(), limit.clamp(1, 1000))).await
    }

    pub async fn test_login(&self, id: i64) -> Result<TestLoginDetail> {
        self.run(move |wb, _| {
            let login = wb.test_login(id)?;
            let xml = login
                .response_xml
                .as_deref()
                .map(|x| xmlview::lines(x, login.report.response_signed, login.report.assertion_signed))
                .unwrap_or_default();
            Ok(TestLoginDetail { login, xml })
        })
        .await
    }

    /// Validates a captured SAMLResponse (base64 or XML) and dry-runs provisioning:
    /// nothing is written, and the response's own InResponseTo counts as outstanding.
    pub async fn analyze_response(
        &self,
        name: String,
        response: String,
        options: AnalyzeOptions,
    ) -> Result<AnalyzeResult> {
        self.run(move |wb, now| {
            let input = workbench::normalise_response_input(&response);
            if input.trim().is_empty() {
                return Err(Error::invalid("paste a SAMLResponse: the base64 form value or the decoded XML"));
            }
            let at = options.at.unwrap_or(now);
            let in_response_to = crate::validate::peek_in_response_to(&input);
            let c = wb.store().get_connection(&name)?;
            let (report, xml) =
                wb.provision_for(&c, &input, at, workbench::Expect::outstanding(in_response_to.as_deref()), true)?;
            let xml = xml
                .as_deref()
                .map(|x| xmlview::lines(x, report.response_signed, report.assertion_signed))
                .unwrap_or_default();
            Ok(AnalyzeResult { connection: c.name, at, in_response_to, report, xml })
        })
        .await
    }

    // ---- users and audit ----

    pub async fn users(&self, query: UserQuery) -> Result<Vec<User>> {
        self.run(move |wb, _| {
            let needle = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
            let mut users = wb.users(query.connection.as_deref())?;
            if let Some(n) = needle {
                users.retain(|u| user_matches(u, &n));
            }
            Ok(users)
        })
        .await
    }

    pub async fn user(&self, id: i64) -> Result<UserDetail> {
        self.run(move |wb, _| {
            let user = wb.user(id)?;
            let mut audit: Vec<_> = wb.audit(None, None)?.into_iter().filter(|e| e.user_id == Some(id)).collect();
            audit.reverse();
            Ok(UserDetail { user, audit })
        })
        .await
    }

    pub async fn set_user_status(&self, id: i64, status: UserStatus) -> Result<User> {
        self.run(move |wb, now| wb.set_user_status(id, status, now)).await
    }

    pub async fn delete_user(&self, id: i64) -> Result<()> {
        self.run(move |wb, _| wb.delete_user(id)).await
    }

    /// Audit rows matching `query`, newest first.
    pub async fn audit(&self, query: AuditQuery) -> Result<Vec<provision::AuditEntry>> {
        self.run(move |wb, _| audit_rows(wb, &query)).await
    }

    /// The matching audit rows as a file's content, oldest first, and how many there are
    /// (the shell writes it where the user chose).
    pub async fn export_audit(&self, query: AuditQuery, format: ExportFormat) -> Result<AuditExport> {
        self.run(move |wb, _| {
            let mut rows = audit_rows(wb, &query)?;
            rows.reverse(); // files read oldest first
            let format = match format {
                ExportFormat::Csv => workbench::AuditFormat::Csv,
                ExportFormat::JsonLines => workbench::AuditFormat::JsonLines,
            };
            Ok(AuditExport { content: workbench::render_audit(&rows, format)?, rows: rows.len() })
        })
        .await
    }
}

fn summary(wb: &Workbench, c: ConnectionView, now: DateTime<Utc>) -> Result<ConnectionSummary> {
    let last = wb.test_logins(Some(&c.name), 1)?.into_iter().next();
    let vendor = vendor::guess(&c.idp_entity_id, &c.sso);
    let certificate = c.signing_certificates.iter().map(|cert| cert.not_after).min().map(|not_after| {
        let days_left = (not_after - now).num_days();
        let level = if not_after <= now {
            ExpiryLevel::Expired
        } else if not_after - now <= Duration::days(EXPIRY_WARNING_DAYS) {
            ExpiryLevel::Soon
        } else {
            ExpiryLevel::Ok
        };
        CertificateExpiry { not_after, days_left, level }
    });
    let status = match &last {
        None => TestStatus::NeverTested,
        Some(t) if provision::Outcome::parse(&t.outcome).is_some_and(|o| o.signed_in()) => TestStatus::Ok,
        Some(_) => TestStatus::Failing,
    };
    let user_count = provision::db::count_users(wb.store().raw(), &c.name)?;
    Ok(ConnectionSummary {
        vendor: vendor.to_owned(),
        vendor_label: vendor::label(vendor).to_owned(),
        status,
        last_test_at: last.as_ref().map(|t| t.at),
        last_failed_check: last.and_then(|t| t.failed_check),
        certificate,
        user_count,
        updated_at: c.updated_at,
        idp_entity_id: c.idp_entity_id,
        name: c.name,
    })
}

/// A free connection name from the IdP: the vendor id, or the entityID's host, plus a number if taken.
fn suggest_name(wb: &Workbench, idp: Option<&connection::IdpDescriptor>, vendor: &str) -> Result<String> {
    let host = idp
        .and_then(|i| url::Url::parse(&i.entity_id).ok())
        .and_then(|u| u.host_str().map(|h| h.split('.').next().unwrap_or(h).to_owned()));
    let base = if vendor != "generic" { vendor.to_owned() } else { host.unwrap_or_else(|| "idp".to_owned()) };
    let base: String = base.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(48).collect();
    let base = if base.is_empty() { "idp".to_owned() } else { base.to_lowercase() };
    let taken: Vec<String> = wb.list_connections()?.into_iter().map(|c| c.name).collect();
    if !taken.contains(&base) {
        return Ok(base);
    }
    Ok((2..1000).map(|n| format!("{base}-{n}")).find(|n| !taken.contains(n)).unwrap_or(base))
}

fn user_matches(u: &User, needle: &str) -> bool {
    let fields = [&u.email, &u.username, &u.given_name, &u.family_name, &u.display_name];
    fields.iter().filter_map(|f| f.as_deref()).any(|f| f.to_lowercase().contains(needle))
        || u.groups.iter().chain(&u.roles).any(|g| g.to_lowercase().contains(needle))
}

fn audit_rows(wb: &Workbench, q: &AuditQuery) -> Result<Vec<provision::AuditEntry>> {
    let needle = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    let mut rows = wb.audit(q.connection.as_deref(), q.since)?;
    rows.retain(|e| {
        q.outcome.as_deref().is_none_or(|o| o.is_empty() || e.outcome == o)
            && needle.as_deref().is_none_or(|n| {
                [&e.subject, &e.message, &e.failed_check]
                    .iter()
                    .filter_map(|f| f.as_deref())
                    .any(|f| f.to_lowercase().contains(n))
            })
    });
    rows.reverse();
    Ok(rows)
}
