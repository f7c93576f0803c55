// The one door to the Rust core: a typed function per Tauri command (src-tauri/src/commands.rs).
// Types come from ./generated/types.ts (generated from Rust; never edit by hand).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AnalyzeResult, AppStatus, AuditEntry, AuditQuery, ConnectionSummary, ConnectionView,
  Error as CoreError, ErrorCode, AuditFormat, ImportOutcome, ImportRequest, MappingDocument, MappingPreview,
  MetadataPreview, PresetInfo, ReimportPreview, RemoveOutcome, SecurityPolicy, ServerStatus, TestLoginDetail,
  TestLoginSummary, User, UserDetail, UserQuery, UserStatus, JudgingContext, ResponseAddressing,
  DemoCatalog, DemoIdpSettings, DemoIdpView, DemoReset, DemoSetup, DemoStyle, Persona, ScenarioRequest,
  ScenarioResult, StoryMode, StoryRun, StoryStep, StoryStepResult,
  JwkInfo, JwksFetched, OidcAddRequest, OidcDiscovery, OidcPreview, OidcSettingsChange, RediscoverPreview,
  Lifecycle, LifecyclePolicy, Rejections, ScimReport, ScimRequestSummary, ScimStatus, ScimTokenIssued,
} from "./generated/types";

/** An error from the core, as it crosses IPC: a stable code, the specific failure within it
 *  (`no_idp_descriptor`, `keyring_locked`...), a message for people and what to change. */
export class ApiError extends Error {
  readonly code: ErrorCode | "ipc";
  readonly detail: string | null;
  readonly hint: string | null;
  constructor(code: ErrorCode | "ipc", message: string, detail: string | null = null, hint: string | null = null) {
    super(message);
    this.code = code;
    this.detail = detail;
    this.hint = hint;
  }
}

function isCoreError(e: unknown): e is CoreError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** A core error carried inside a result (a preview's `error`, the app status) as an ApiError. */
export function asApiError(e: unknown): ApiError | null {
  if (e instanceof ApiError) return e;
  return isCoreError(e) ? new ApiError(e.code, e.message, e.detail ?? null, e.hint ?? null) : null;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (isCoreError(e)) throw new ApiError(e.code, e.message, e.detail ?? null, e.hint ?? null);
    throw new ApiError("ipc", typeof e === "string" ? e : String(e));
  }
}

/** A readable one-liner for any error, for banners and toasts. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    const prefix: Partial<Record<ApiError["code"], string>> = {
      invalid_metadata: "The metadata cannot be imported",
      secret_store_unavailable: "The secret store is unavailable",
      secret_missing: "The SP key is missing",
      network: "Network problem",
      port_in_use: "Port in use",
      no_browser: "No browser opened the page",
      storage: "Database error",
      conflict: "The catalog refused the change",
      ipc: "The app could not run this",
    };
    const p = prefix[e.code];
    return p ? `${p}: ${e.message}` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

let operationCounter = 0;
/** A fresh id for a cancellable operation. */
export function newOperation(): string {
  operationCounter += 1;
  return `op-${Date.now()}-${operationCounter}`;
}

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
  startServer: (port: number) => call<ServerStatus>("start_server", { port }),

  listConnections: () => call<ConnectionSummary[]>("list_connections"),
  connection: (name: string) => call<ConnectionView>("connection", { name }),
  fetchMetadata: (url: string, operation: string) => call<string>("fetch_metadata", { url, operation }),
  cancel: (operation: string) => call<boolean>("cancel", { operation }),
  previewMetadata: (xml: string, entity_id: string | null) =>
    call<MetadataPreview>("preview_metadata", { xml, entity_id }),
  importConnection: (request: ImportRequest) => call<ImportOutcome>("import_connection", { request }),
  duplicateConnection: (name: string, new_name: string) =>
    call<ConnectionView>("duplicate_connection", { name, new_name }),
  removeConnection: (name: string) => call<RemoveOutcome>("remove_connection", { name }),
  exportConnection: (name: string, path: string) => call<null>("export_connection", { name, path }),
  importConnectionFile: (content: string, name: string | null) =>
    call<ImportOutcome>("import_connection_file", { content, name }),
  reimportPreview: (name: string, operation: string) =>
    call<ReimportPreview>("reimport_preview", { name, operation }),
  replaceMetadata: (name: string, xml: string, source: string) =>
    call<ConnectionView>("replace_metadata", { name, xml, source }),
  /** OpenID Connect: fetches the discovery document for an issuer (or its discovery URL),
   *  previews it and fetches its JWKS; cancellable with `cancel(operation)`. */
  discoverOidc: (url: string, name: string | null, operation: string) =>
    call<OidcDiscovery>("discover_oidc", { url, name, operation }),
  fetchJwks: (url: string, operation: string) => call<JwksFetched>("fetch_jwks", { url, operation }),
  previewOidc: (discovery_json: string, typed_url: string, name: string | null) =>
    call<OidcPreview>("preview_oidc", { discovery_json, typed_url, name }),
  /** Saves an OIDC connection; the client secret goes to the secret store and never comes back. */
  addOidcConnection: (request: OidcAddRequest) => call<ConnectionView>("add_oidc_connection", { request }),
  rediscoverPreview: (name: string, operation: string) =>
    call<RediscoverPreview>("rediscover_preview", { name, operation }),
  replaceDiscovery: (name: string, discovery_json: string, jwks_json: string | null) =>
    call<ConnectionView>("replace_discovery", { name, discovery_json, jwks_json }),
  setOidcSettings: (name: string, change: OidcSettingsChange) =>
    call<ConnectionView>("set_oidc_settings", { name, change }),
  setOidcClientSecret: (name: string, secret: string | null) =>
    call<ConnectionView>("set_oidc_client_secret", { name, secret }),
  oidcJwksKeys: (name: string) => call<JwkInfo[]>("oidc_jwks_keys", { name }),
  setPolicy: (name: string, policy: SecurityPolicy) => call<ConnectionView>("set_policy", { name, policy }),
  setSpUrls: (name: string, entity_id: string | null, acs_url: string | null) =>
    call<ConnectionView>("set_sp_urls", { name, entity_id, acs_url }),
  rotateSpKey: (name: string) => call<ConnectionView>("rotate_sp_key", { name }),
  spMetadata: (name: string) => call<string>("sp_metadata", { name }),
  saveSpMetadata: (name: string, path: string) => call<null>("save_sp_metadata", { name, path }),

  presets: () => call<PresetInfo[]>("presets"),
  /** The mapping presets for OpenID Connect claims. */
  oidcPresets: () => call<PresetInfo[]>("oidc_presets"),
  mapping: (name: string) => call<MappingDocument>("mapping", { name }),
  setMapping: (name: string, mapping: MappingDocument) => call<MappingDocument>("set_mapping", { name, mapping }),
  previewMapping: (name: string, mapping: MappingDocument) =>
    call<MappingPreview>("preview_mapping", { name, mapping }),

  /** Opens the IdP login (in an app window, or the system browser); returns the URL. */
  /** Starts a test login; in the system browser, a `no_browser` error when none opened it. */
  openLogin: (name: string, in_app: boolean) => call<string>("open_login", { name, in_app }),
  loginUrl: (name: string) => call<string>("login_url", { name }),
  testLogins: (connection: string | null, limit: number) =>
    call<TestLoginSummary[]>("test_logins", { connection, limit }),
  testLogin: (id: number) => call<TestLoginDetail>("test_login", { id }),
  /** Judges a captured response in a judging context (as which SP, at which instant); writes nothing. */
  analyzeResponse: (name: string, response: string, options: JudgingContext) =>
    call<AnalyzeResult>("analyze_response", { name, response, options }),
  /** What a captured response says it was addressed to (unverified): prefills "Judge as". */
  responseAddressing: (response: string) => call<ResponseAddressing>("response_addressing", { response }),

  users: (query: UserQuery) => call<User[]>("users", { query }),
  user: (id: number) => call<UserDetail>("user", { id }),
  setUserStatus: (id: number, status: UserStatus) => call<User>("set_user_status", { id, status }),
  deleteUser: (id: number) => call<null>("delete_user", { id }),

  audit: (query: AuditQuery) => call<AuditEntry[]>("audit", { query }),
  exportAudit: (query: AuditQuery, format: AuditFormat, path: string) =>
    call<number>("export_audit", { query, format, path }),

  /** "Create demo connection": the demo IdP and the `demo` connection (created or reused). */
  createDemo: (style: DemoStyle | null) => call<DemoSetup>("create_demo", { style }),
  /** "Create demo connection" for OpenID Connect: `demo-oidc` at the demo OP (created or reused). */
  createOidcDemo: () => call<DemoSetup>("create_oidc_demo"),
  demoIdp: () => call<DemoIdpView>("demo_idp"),
  setDemoIdp: (settings: DemoIdpSettings) => call<DemoIdpView>("set_demo_idp", { settings }),
  demoCatalog: () => call<DemoCatalog>("demo_catalog"),
  setDemoPersona: (persona: Persona) => call<Persona>("set_demo_persona", { persona }),
  removeDemoPersona: (persona: string) => call<null>("remove_demo_persona", { persona }),
  setDemoPersonaActive: (persona: string, active: boolean) =>
    call<Persona>("set_demo_persona_active", { persona, active }),
  resetDemo: () => call<DemoReset>("reset_demo"),
  /** Runs a scenario through the real endpoints; the test login also arrives as an event. */
  runScenario: (request: ScenarioRequest) => call<ScenarioResult>("run_scenario", { request }),
  /** One story step, with JIT alone or in hybrid (the demo IdP also pushes SCIM). */
  runStoryStep: (step: StoryStep, mode: StoryMode) => call<StoryStepResult>("run_story_step", { step, mode }),
  /** The whole story with JIT alone, then in hybrid, for the side-by-side view. */
  runStorySideBySide: () => call<StoryRun[]>("run_story_side_by_side"),

  /** A connection's SCIM endpoint: on or off, its URL, lifecycle and counts (never the token). */
  scimStatus: (name: string) => call<ScimStatus>("scim_status", { name }),
  /** Turns SCIM on with a new token, which the app copies to the clipboard itself: the
   *  window gets only whether the copy worked and the token's last characters. */
  scimEnable: (name: string, policy: LifecyclePolicy | null) => call<ScimTokenIssued>("scim_enable", { name, policy }),
  scimDisable: (name: string) => call<ScimStatus>("scim_disable", { name }),
  /** A new token (to the clipboard, as scimEnable); the previous one stops working at once. */
  scimRotateToken: (name: string) => call<ScimTokenIssued>("scim_rotate_token", { name }),
  /** Requests the running server refused with 401 (bad or missing token): counted in memory, never logged. */
  scimRejections: (name: string) => call<Rejections>("scim_rejections", { name }),
  /** The SCIM request log, newest first; new requests also arrive as events (onScimRequest). */
  scimLog: (name: string, limit: number) => call<ScimRequestSummary[]>("scim_log", { name, limit }),
  /** Where JIT and SCIM disagree: JIT accounts SCIM does not know, SCIM users never signed in, claims vs SCIM. */
  scimReport: (name: string) => call<ScimReport>("scim_report", { name }),
  setLifecycle: (name: string, lifecycle: Lifecycle) => call<Lifecycle>("set_lifecycle", { name, lifecycle }),
};

export type Api = typeof api;

/** Calls `handler` for every finished test login (pushed by the embedded SP's ACS). */
export function onTestLogin(handler: (summary: TestLoginSummary) => void): Promise<UnlistenFn> {
  return listen<TestLoginSummary>("test-login", (event) => handler(event.payload));
}

/** Calls `handler` for every request the SCIM endpoint answered (the SCIM tab's live log). */
export function onScimRequest(handler: (summary: ScimRequestSummary) => void): Promise<UnlistenFn> {
  return listen<ScimRequestSummary>("scim-request", (event) => handler(event.payload));
}
