//! The IPC commands, each defined here once: one line into `Desktop`, plus the OS work a
//! command needs (os.rs). build.rs derives the handler list and the permissions from this
//! file; the `shell` integration test checks capabilities/main.json and ui/src/lib/api.ts
//! against it. Write each as `#[tauri::command(rename_all = "snake_case")]` on one line:
//! arguments keep their snake_case names so the UI's calls match the generated types.

use std::path::PathBuf;
use std::sync::Arc;

use handshake::Error;
use handshake::connection::SecurityPolicy;
use handshake::demo::{DemoStyle, Persona, StoryMode, StoryStep};
use handshake::desktop::*;
use handshake::directory::{AuditEntry, AuditQuery, User, UserQuery, UserStatus};
use handshake::login::TestLoginSummary;
use handshake::provision::{Lifecycle, LifecyclePolicy, MappingDocument};
use handshake::scim::ScimRequestSummary;
use handshake::server::scim_auth::Rejections as ScimRejections;
use handshake::workbench::demo::{
    DemoCatalog, DemoIdpSettings, DemoIdpView, DemoReset, DemoSetup, ScenarioRequest, ScenarioResult, StoryStepResult,
};
use handshake::workbench::demo_story::StoryRun;
use handshake::workbench::{
    AnalyzeResult, AuditFormat, ConnectionSummary, ConnectionView, ImportOutcome, ImportRequest, JudgingContext,
    MappingPreview, MetadataPreview, OidcPreview, PresetInfo, ReimportPreview, RemoveOutcome, ResponseAddressing,
    ScimReport, ScimStatus, TestLoginDetail, UserDetail,
};
use tauri::{Manager as _, State, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_clipboard_manager::ClipboardExt as _;

use crate::os;

type Core<'a> = State<'a, Arc<Desktop>>;
type R<T> = Result<T, Error>;

/// The label of the window the IdP login opens in. It gets no IPC permissions.
const LOGIN_WINDOW: &str = "idp-login";
/// The app's window (tauri.conf.json), the one with IPC.
const MAIN_WINDOW: &str = "main";

/// Every `#[tauri::command]` function below: build.rs reads them from this file, writes this
/// list and gives each command its own permission.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    include!(concat!(env!("OUT_DIR"), "/handler.rs"))
}

#[tauri::command(rename_all = "snake_case")]
fn app_status(core: Core<'_>) -> AppStatus {
    core.status()
}

#[tauri::command(rename_all = "snake_case")]
async fn start_server(core: Core<'_>, port: u16) -> R<ServerStatus> {
    Ok(core.start_server(port).await)
}

#[tauri::command(rename_all = "snake_case")]
async fn list_connections(core: Core<'_>) -> R<Vec<ConnectionSummary>> {
    core.list_connections().await
}

#[tauri::command(rename_all = "snake_case")]
async fn connection(core: Core<'_>, name: String) -> R<ConnectionView> {
    core.connection(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn fetch_metadata(core: Core<'_>, url: String, operation: String) -> R<String> {
    core.fetch_metadata(url, operation).await
}

#[tauri::command(rename_all = "snake_case")]
fn cancel(core: Core<'_>, operation: String) -> bool {
    core.cancel(&operation)
}

#[tauri::command(rename_all = "snake_case")]
async fn preview_metadata(core: Core<'_>, xml: String, entity_id: Option<String>) -> R<MetadataPreview> {
    core.preview_metadata(xml, entity_id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn import_connection(core: Core<'_>, request: ImportRequest) -> R<ImportOutcome> {
    core.import_connection(request).await
}

#[tauri::command(rename_all = "snake_case")]
async fn duplicate_connection(core: Core<'_>, name: String, new_name: String) -> R<ConnectionView> {
    core.duplicate_connection(name, new_name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn remove_connection(core: Core<'_>, name: String) -> R<RemoveOutcome> {
    core.remove_connection(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn export_connection(core: Core<'_>, name: String, path: PathBuf) -> R<()> {
    os::write_chosen_file(&path, &core.export_connection(name).await?)
}

#[tauri::command(rename_all = "snake_case")]
async fn import_connection_file(core: Core<'_>, content: String, name: Option<String>) -> R<ImportOutcome> {
    core.import_connection_file(content, name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn reimport_preview(core: Core<'_>, name: String, operation: String) -> R<ReimportPreview> {
    core.reimport_preview(name, operation).await
}

#[tauri::command(rename_all = "snake_case")]
async fn replace_metadata(core: Core<'_>, name: String, xml: String, source: String) -> R<ConnectionView> {
    core.replace_metadata(name, xml, source).await
}

#[tauri::command(rename_all = "snake_case")]
async fn discover_oidc(core: Core<'_>, url: String, name: Option<String>, operation: String) -> R<OidcDiscovery> {
    core.discover_oidc(url, name, operation).await
}

#[tauri::command(rename_all = "snake_case")]
async fn fetch_jwks(core: Core<'_>, url: String, operation: String) -> R<JwksFetched> {
    core.fetch_jwks(url, operation).await
}

#[tauri::command(rename_all = "snake_case")]
async fn preview_oidc(
    core: Core<'_>,
    discovery_json: String,
    typed_url: String,
    name: Option<String>,
) -> R<OidcPreview> {
    core.preview_oidc(discovery_json, typed_url, name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn add_oidc_connection(core: Core<'_>, request: OidcAddRequest) -> R<ConnectionView> {
    core.add_oidc_connection(request).await
}

#[tauri::command(rename_all = "snake_case")]
async fn rediscover_preview(core: Core<'_>, name: String, operation: String) -> R<RediscoverPreview> {
    core.rediscover_preview(name, operation).await
}

#[tauri::command(rename_all = "snake_case")]
async fn replace_discovery(
    core: Core<'_>,
    name: String,
    discovery_json: String,
    jwks_json: Option<String>,
) -> R<ConnectionView> {
    core.replace_discovery(name, discovery_json, jwks_json).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_oidc_settings(core: Core<'_>, name: String, change: OidcSettingsChange) -> R<ConnectionView> {
    core.set_oidc_settings(name, change).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_oidc_client_secret(core: Core<'_>, name: String, secret: Option<String>) -> R<ConnectionView> {
    core.set_oidc_client_secret(name, secret).await
}

#[tauri::command(rename_all = "snake_case")]
async fn oidc_jwks_keys(core: Core<'_>, name: String) -> R<Vec<JwkInfo>> {
    core.oidc_jwks_keys(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_policy(core: Core<'_>, name: String, policy: SecurityPolicy) -> R<ConnectionView> {
    core.set_policy(name, policy).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_sp_urls(
    core: Core<'_>,
    name: String,
    entity_id: Option<String>,
    acs_url: Option<String>,
) -> R<ConnectionView> {
    core.set_sp_urls(name, entity_id, acs_url).await
}

#[tauri::command(rename_all = "snake_case")]
async fn rotate_sp_key(core: Core<'_>, name: String) -> R<ConnectionView> {
    core.rotate_sp_key(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn sp_metadata(core: Core<'_>, name: String) -> R<String> {
    core.sp_metadata(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn save_sp_metadata(core: Core<'_>, name: String, path: PathBuf) -> R<()> {
    os::write_chosen_file(&path, &core.sp_metadata(name).await?)
}

#[tauri::command(rename_all = "snake_case")]
async fn presets(core: Core<'_>) -> R<Vec<PresetInfo>> {
    core.presets().await
}

#[tauri::command(rename_all = "snake_case")]
async fn oidc_presets(core: Core<'_>) -> R<Vec<PresetInfo>> {
    core.oidc_presets().await
}

#[tauri::command(rename_all = "snake_case")]
async fn mapping(core: Core<'_>, name: String) -> R<MappingDocument> {
    core.mapping(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_mapping(core: Core<'_>, name: String, mapping: MappingDocument) -> R<MappingDocument> {
    core.set_mapping(name, mapping).await
}

#[tauri::command(rename_all = "snake_case")]
async fn preview_mapping(core: Core<'_>, name: String, mapping: MappingDocument) -> R<MappingPreview> {
    core.preview_mapping(name, mapping).await
}

/// Where a test login starts: the URL to open by hand when no browser opened it.
#[tauri::command(rename_all = "snake_case")]
async fn login_url(core: Core<'_>, name: String) -> R<String> {
    core.login_url(name).await
}

/// Starts a test login: in an app window (no IPC in it) or the system browser (a
/// `no_browser` error when none opened it: os.rs waits a bounded time to know).
#[tauri::command(rename_all = "snake_case")]
async fn open_login(app: tauri::AppHandle, core: Core<'_>, name: String, in_app: bool) -> R<String> {
    let url = core.login_url(name.clone()).await?;
    if !in_app {
        let base_url = core.server_status().base_url;
        let page = url.clone();
        tauri::async_runtime::spawn_blocking(move || os::open_in_browser(&page, &base_url))
            .await
            .map_err(|e| Error::new(handshake::ErrorCode::Internal, format!("opening the browser: {e}")))??;
        return Ok(url);
    }
    let parsed = url.parse().map_err(|e| Error::invalid(format!("bad login URL {url}: {e}")))?;
    let window_error = |e: tauri::Error| Error::new(handshake::ErrorCode::Internal, format!("login window: {e}"));
    match app.get_webview_window(LOGIN_WINDOW) {
        Some(w) => {
            w.navigate(parsed).map_err(window_error)?;
            let _ = w.set_focus();
        }
        None => {
            let (width, height) = login_window_size(&app);
            WebviewWindowBuilder::new(&app, LOGIN_WINDOW, WebviewUrl::External(parsed))
                .title(format!("Sign in: {name}"))
                .inner_size(width, height)
                .build()
                .map_err(window_error)?;
        }
    }
    Ok(url)
}

/// The login window's size: 920×760, or smaller to fit where the main window fits (a
/// small laptop's screen), so the IdP's Sign in button is not below the screen's edge.
fn login_window_size(app: &tauri::AppHandle) -> (f64, f64) {
    let main = app.get_webview_window(MAIN_WINDOW).and_then(|w| {
        let scale = w.scale_factor().ok()?;
        Some(w.inner_size().ok()?.to_logical::<f64>(scale))
    });
    match main {
        Some(size) => (size.width.min(920.0), size.height.min(760.0)),
        None => (920.0, 760.0),
    }
}

/// A result arrived: the login window has done its job. It closes, and the main window
/// comes forward (focused, so the keyboard and its focus rings work there at once) with
/// the result, which the UI shows from the event.
pub fn login_done(app: &tauri::AppHandle) {
    if let Some(login) = app.get_webview_window(LOGIN_WINDOW) {
        let _ = login.close();
    }
    if let Some(main) = app.get_webview_window(MAIN_WINDOW) {
        let _ = main.unminimize();
        let _ = main.show();
        let _ = main.set_focus();
    }
}

#[tauri::command(rename_all = "snake_case")]
async fn test_logins(core: Core<'_>, connection: Option<String>, limit: u32) -> R<Vec<TestLoginSummary>> {
    core.test_logins(connection, limit).await
}

#[tauri::command(rename_all = "snake_case")]
async fn test_login(core: Core<'_>, id: i64) -> R<TestLoginDetail> {
    core.test_login(id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn analyze_response(core: Core<'_>, name: String, response: String, options: JudgingContext) -> R<AnalyzeResult> {
    core.analyze_response(name, response, options).await
}

#[tauri::command(rename_all = "snake_case")]
async fn response_addressing(core: Core<'_>, response: String) -> R<ResponseAddressing> {
    core.response_addressing(response).await
}

#[tauri::command(rename_all = "snake_case")]
async fn users(core: Core<'_>, query: UserQuery) -> R<Vec<User>> {
    core.users(query).await
}

#[tauri::command(rename_all = "snake_case")]
async fn user(core: Core<'_>, id: i64) -> R<UserDetail> {
    core.user(id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_user_status(core: Core<'_>, id: i64, status: UserStatus) -> R<User> {
    core.set_user_status(id, status).await
}

#[tauri::command(rename_all = "snake_case")]
async fn delete_user(core: Core<'_>, id: i64) -> R<()> {
    core.delete_user(id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn audit(core: Core<'_>, query: AuditQuery) -> R<Vec<AuditEntry>> {
    core.audit(query).await
}

#[tauri::command(rename_all = "snake_case")]
async fn export_audit(core: Core<'_>, query: AuditQuery, format: AuditFormat, path: PathBuf) -> R<usize> {
    let export = core.export_audit(query, format).await?;
    os::write_chosen_file(&path, &export.content)?;
    Ok(export.rows)
}

#[tauri::command(rename_all = "snake_case")]
async fn create_demo(core: Core<'_>, style: Option<DemoStyle>) -> R<DemoSetup> {
    core.create_demo(style).await
}

#[tauri::command(rename_all = "snake_case")]
async fn create_oidc_demo(core: Core<'_>) -> R<DemoSetup> {
    core.create_oidc_demo().await
}

#[tauri::command(rename_all = "snake_case")]
async fn demo_idp(core: Core<'_>) -> R<DemoIdpView> {
    core.demo_idp().await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_demo_idp(core: Core<'_>, settings: DemoIdpSettings) -> R<DemoIdpView> {
    core.set_demo_idp(settings).await
}

#[tauri::command(rename_all = "snake_case")]
async fn demo_catalog(core: Core<'_>) -> R<DemoCatalog> {
    core.demo_catalog().await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_demo_persona(core: Core<'_>, persona: Persona) -> R<Persona> {
    core.set_demo_persona(persona).await
}

#[tauri::command(rename_all = "snake_case")]
async fn remove_demo_persona(core: Core<'_>, persona: String) -> R<()> {
    core.remove_demo_persona(persona).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_demo_persona_active(core: Core<'_>, persona: String, active: bool) -> R<Persona> {
    core.set_demo_persona_active(persona, active).await
}

#[tauri::command(rename_all = "snake_case")]
async fn reset_demo(core: Core<'_>) -> R<DemoReset> {
    core.reset_demo().await
}

#[tauri::command(rename_all = "snake_case")]
async fn run_scenario(core: Core<'_>, request: ScenarioRequest) -> R<ScenarioResult> {
    core.run_scenario(request).await
}

/// One step of the story, with JIT alone or in hybrid (the demo IdP also a SCIM client).
#[tauri::command(rename_all = "snake_case")]
async fn run_story_step(core: Core<'_>, step: StoryStep, mode: StoryMode) -> R<StoryStepResult> {
    core.run_story_step_in(step, mode).await
}

/// The whole story with JIT alone, then in hybrid: the two columns shown side by side.
#[tauri::command(rename_all = "snake_case")]
async fn run_story_side_by_side(core: Core<'_>) -> R<Vec<StoryRun>> {
    core.run_story_side_by_side().await
}

#[tauri::command(rename_all = "snake_case")]
async fn scim_status(core: Core<'_>, name: String) -> R<ScimStatus> {
    core.scim_status(name).await
}

/// Turns the endpoint on; the new token goes to the clipboard from here, never to the window.
#[tauri::command(rename_all = "snake_case")]
async fn scim_enable(
    app: tauri::AppHandle,
    core: Core<'_>,
    name: String,
    policy: Option<LifecyclePolicy>,
) -> R<ScimTokenIssued> {
    Ok(ScimTokenIssued::copy_with(core.scim_enable(name, policy).await?, |t| copy_secret(&app, t)))
}

#[tauri::command(rename_all = "snake_case")]
async fn scim_disable(core: Core<'_>, name: String) -> R<ScimStatus> {
    core.scim_disable(name).await
}

/// A new token, to the clipboard from here (as `scim_enable`).
#[tauri::command(rename_all = "snake_case")]
async fn scim_rotate_token(app: tauri::AppHandle, core: Core<'_>, name: String) -> R<ScimTokenIssued> {
    Ok(ScimTokenIssued::copy_with(core.scim_rotate_token(name).await?, |t| copy_secret(&app, t)))
}

/// The requests refused with 401 (bad or missing token) for the live log; kept in memory only.
#[tauri::command(rename_all = "snake_case")]
fn scim_rejections(core: Core<'_>, name: String) -> R<ScimRejections> {
    core.scim_rejections(&name)
}

#[tauri::command(rename_all = "snake_case")]
async fn scim_log(core: Core<'_>, name: String, limit: u32) -> R<Vec<ScimRequestSummary>> {
    core.scim_log(name, limit).await
}

#[tauri::command(rename_all = "snake_case")]
async fn scim_report(core: Core<'_>, name: String) -> R<ScimReport> {
    core.scim_report(name).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_lifecycle(core: Core<'_>, name: String, lifecycle: Lifecycle) -> R<Lifecycle> {
    core.set_lifecycle(name, lifecycle).await
}

/// Writes a secret to the system clipboard with the clipboard plugin (the same write the
/// window's copies use), so the secret itself never crosses IPC.
fn copy_secret(app: &tauri::AppHandle, secret: &str) -> Result<(), String> {
    app.clipboard().write_text(secret.to_owned()).map_err(|e| e.to_string())
}
