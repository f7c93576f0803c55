// Generated from the Rust types by `handshake::desktop::bindings` (feature `typescript`).
// Do not edit: run `HANDSHAKE_UPDATE_BINDINGS=1 cargo test --all-features bindings` instead.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type Error = { code: ErrorCode, message: string, 
/**
 * The specific failure within `code`, stable like it: a metadata error's code
 * (`no_idp_descriptor`...) or a secret-store failure (`keyring_locked`...).
 */
detail: string | null, 
/**
 * What to change, in concepts (no flags or buttons).
 */
hint: string | null, };

export type ErrorCode = "invalid_input" | "not_found" | "already_exists" | "invalid_metadata" | "secret_store_unavailable" | "secret_missing" | "storage" | "network" | "io" | "port_in_use" | "cancelled" | "no_browser" | "conflict" | "internal";

export type AppStatus = { version: string, database: string, secret_store: string, 
/**
 * Set when the secret store cannot be used now (checked at each call): imports and test
 * logins then fail with it, until it is fixed.
 */
secret_store_error: Error | null, server: ServerStatus, };

export type ServerStatus = { running: boolean, port: number, base_url: string, 
/**
 * Why it is not running (`port_in_use`, `io`...), for the banner.
 */
error: Error | null, };

export type ConnectionSummary = { name: string, protocol: Protocol, idp_entity_id: string, 
/**
 * The product detected from the entityID and endpoints (`generic` when unrecognised).
 */
vendor: Vendor, status: TestStatus, last_test_at: string | null, last_failed_check: Stop | null, 
/**
 * The IdP signing certificate that expires first.
 */
certificate: CertificateExpiry | null, user_count: number, updated_at: string, 
/**
 * Set on a connection a demo scenario made for itself (`demo-strict`): what it is for.
 * The list labels it as a demo helper rather than showing its health.
 */
demo_helper: string | null, 
/**
 * An OpenID Connect connection's redirect URI in effect (to register at the OP);
 * absent for SAML.
 */
redirect_uri?: string, };

export type TestStatus = "never_tested" | "ok" | "failing";

export type CertificateExpiry = { not_after: string, days_left: number, level: ExpiryLevel, };

export type ExpiryLevel = "ok" | "soon" | "expired" | "not_yet_valid";

export type Vendor = { 
/**
 * Stable id: `okta`, `entra`...; `generic` for anything unrecognised.
 */
id: string, label: string, 
/**
 * Has a SAML mapping preset (named by `id`).
 */
preset: boolean, 
/**
 * Has an OIDC mapping preset (named by `id`, [`presets::oidc_preset`]).
 */
oidc_preset: boolean, };

export type ConnectionView = { name: string, protocol: Protocol, 
/**
 * For an OIDC connection, `idp_entity_id` is its issuer.
 */
idp_entity_id: string, sso: Array<Endpoint>, slo: Array<Endpoint>, name_id_formats: Array<string>, want_authn_requests_signed: boolean, valid_until: string | null, signing_certificates: Array<Certificate>, 
/**
 * How soon each signing certificate expires, in the same order (the one expiry rule).
 */
certificate_expiry: Array<CertificateExpiry>, sp: SpView, policy: SecurityPolicy, metadata_source: string, metadata_imported_at: string, created_at: string, updated_at: string, 
/**
 * The OpenID Connect side; absent for a SAML connection.
 */
oidc?: OidcView, };

export type SpView = { entity_id: string, acs_url: string, 
/**
 * False when derived from the embedded SP's base URL (follows `--port`).
 */
entity_id_explicit: boolean, acs_url_explicit: boolean, certificate: Certificate | null, certificate_expiry: CertificateExpiry | null, };

export type Protocol = "saml" | "oidc";

export type OidcView = { issuer: string, discovery_url: string | null, discovered_at: string | null, authorization_endpoint: string, token_endpoint: string, userinfo_endpoint: string | null, jwks_uri: string, jwks_fetched_at: string | null, 
/**
 * The cached JWKS's key ids (`#n` for a key without one).
 */
jwks_kids: Array<string>, client_id: string, client_auth: ClientAuth, scopes: Array<string>, allowed_algs: Array<Alg>, trusted_audiences: Array<string>, call_userinfo: boolean, redirect_host: RedirectHost, 
/**
 * The redirect URI in effect (on the chosen host), then the one on the other host.
 */
redirect_uri: string, redirect_uris: Array<string>, 
/**
 * With `private_key_jwt`: the public key to register at the OP (the private key is in
 * the secret store only).
 */
client_jwk: ClientJwk | null, };

export type OidcPreview = { issuer: string, discovery_url: string, authorization_endpoint: string, token_endpoint: string, userinfo_endpoint: string | null, jwks_uri: string, end_session_endpoint: string | null, 
/**
 * `id_token_signing_alg_values_supported`, as the OP lists it.
 */
signing_algs_offered: Array<string>, 
/**
 * What the connection will allow: the offered ones Handshake verifies with public keys.
 */
allowed_algs: Array<Alg>, token_endpoint_auth_methods: Array<string>, 
/**
 * The client authentication a confidential client will use.
 */
client_auth: ClientAuth, scopes_supported: Array<string>, notes: Array<string>, vendor: Vendor, suggested_name: string, 
/**
 * The redirect URIs to register at the OP (on 127.0.0.1 and on localhost).
 */
redirect_uris: Array<string>, };

export type Alg = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "HS256" | "HS384" | "HS512";

export type ClientAuth = "client_secret_basic" | "client_secret_post" | "private_key_jwt" | "none";

export type ClientJwk = { kty: string, n: string, e: string, 
/**
 * The RFC 7638 thumbprint of the key.
 */
kid: string, use: string, alg: string, };

export type RedirectHost = "loopback" | "localhost";

export type OidcDiscovery = { 
/**
 * What the admin typed (the issuer or the discovery URL).
 */
typed_url: string, discovery_json: string, preview: OidcPreview, jwks: JwksFetched | null, 
/**
 * Why the JWKS could not be fetched.
 */
jwks_error: Error | null, };

export type JwksFetched = { jwks_json: string, keys: Array<JwkInfo>, };

export type JwkInfo = { 
/**
 * `kid`, or `#index` for a key without one.
 */
kid: string, kty: string | null, alg: string | null, 
/**
 * `use` (`sig`, `enc`).
 */
key_use: string | null, };

export type OidcAddRequest = { name: string, 
/**
 * What the admin typed and the discovery document fetched for it; or `manual`.
 */
typed_url: string | null, discovery_json: string | null, manual: OidcManualEndpoints | null, jwks_json: string | null, client_id: string, 
/**
 * Typed by the admin; kept in the secret store only, never sent back.
 */
client_secret: string | null, client_auth: ClientAuth | null, scopes: Array<string> | null, };

export type OidcManualEndpoints = { issuer: string, authorization_endpoint: string, token_endpoint: string, jwks_uri: string, userinfo_endpoint: string | null, };

export type OidcSettingsChange = { client_id: string | null, client_auth: ClientAuth | null, scopes: Array<string> | null, allowed_algs: Array<Alg> | null, trusted_audiences: Array<string> | null, call_userinfo: boolean | null, redirect_host: RedirectHost | null, clock_skew_seconds: number | null, };

export type RediscoverPreview = { url: string, discovery_json: string, changes: Array<MetadataChange>, jwks: JwksFetched | null, jwks_error: Error | null, };

export type ImportRequest = { name: string, metadata_xml: string, 
/**
 * File path, URL or "stdin", kept with the connection.
 */
source: string, entity_id: string | null, sp_entity_id: string | null, acs_url: string | null, };

export type ImportOutcome = { connection: ConnectionView, warnings: Array<MetadataWarning>, 
/**
 * The product detected from the metadata; its mapping preset was applied.
 */
vendor: Vendor, };

export type RemoveOutcome = { name: string, warning: string | null, };

export type ProvisionReport = { outcome: Outcome, dry_run: boolean, verdict: Verdict, 
/**
 * The check or rule that stopped the login, as one stable name (`audience`,
 * `missing_attribute`, `replay`).
 */
failed_check: Stop | null, 
/**
 * The same, with its violation or denial code, message and hint.
 */
stopped_by: StoppedBy | null, user: User | null, diff: Array<FieldChange>, trace: Trace | null, checks: Array<CheckResult>, name_id: NameId | null, attributes: Array<Attribute>, 
/**
 * Which parts a verified signature covered, and whether the assertion was encrypted.
 */
response_signed: boolean, assertion_signed: boolean, encrypted: boolean, 
/**
 * For a login denied for a missing attribute: an attribute that arrived and fits the
 * field, to map it from in one click.
 */
mapping_fix: MappingFix | null, };

export type Endpoint = { binding: string, location: string, };

export type IdpDescriptor = { entity_id: string, 
/**
 * SAML 2.0 SingleSignOnService endpoints, in document order.
 */
sso: Array<Endpoint>, slo: Array<Endpoint>, name_id_formats: Array<string>, 
/**
 * Every certificate usable for signing (`use="signing"` or no `use`), deduplicated,
 * in document order. A rollover set has several: any of them may sign.
 */
signing_certificates: Array<Certificate>, want_authn_requests_signed: boolean, valid_until: string | null, };

export type SecurityPolicy = { signature: SignatureRequirement, 
/**
 * Refuse responses whose assertion is not encrypted.
 */
require_encrypted_assertion: boolean, 
/**
 * Tolerance for clock differences between IdP and SP, in seconds.
 */
clock_skew_seconds: number, 
/**
 * Accept unsolicited (IdP-initiated) responses.
 */
allow_idp_initiated: boolean, 
/**
 * Accept RSA-SHA1 signatures and SHA-1 digests (broken; only for legacy IdPs).
 */
allow_sha1: boolean, 
/**
 * Sign AuthnRequests even when the IdP does not ask for it.
 */
sign_authn_requests: boolean, 
/**
 * Accept a signed Response without a Destination (SAML bindings 3.5.5.2 require one;
 * only for an IdP that cannot send it).
 */
allow_missing_destination: boolean, };

export type SignatureRequirement = "assertion_or_response" | "assertion" | "response" | "both";

export type Certificate = { 
/**
 * Base64 of the DER encoding, on one line.
 */
der_base64: string, 
/**
 * SHA-256 over the DER, upper-case hex pairs joined by colons (how IdP consoles show it).
 */
sha256_fingerprint: string, subject: string, issuer: string, not_before: string, not_after: string, 
/**
 * "RSA 2048", "EC P-256", ...
 */
key: string, };

export type MetadataWarning = { code: string, message: string, };

export type IdpSummary = { entity_id: string, 
/**
 * `mdui:DisplayName` (English preferred), else the `OrganizationDisplayName`.
 */
display_name: string | null, 
/**
 * Every `SingleSignOnService` binding as written, any protocol, document order, no duplicates.
 */
sso_bindings: Array<string>, 
/**
 * The IdP role lists `urn:oasis:names:tc:SAML:2.0:protocol`: only those can be imported.
 */
saml2: boolean, };

export type AggregateInfo = { 
/**
 * The outermost `EntitiesDescriptor`'s `Name`.
 */
name: string | null, 
/**
 * Entities with an `IDPSSODescriptor` of any protocol (SAML 1-only ones included).
 */
idp_count: number, 
/**
 * Every `EntityDescriptor`, whatever its roles.
 */
entity_count: number, };

export type MetadataPreview = { idps: Array<IdpSummary>, aggregate: AggregateInfo | null, 
/**
 * The IdP that would be imported (the only one, or the chosen one).
 */
chosen: IdpPreview | null, 
/**
 * Set when the chosen IdP cannot be imported (or an aggregate needs a choice).
 */
error: Error | null, 
/**
 * The product detected from the chosen IdP; its mapping preset is applied on import.
 */
vendor: Vendor, 
/**
 * A connection name derived from the IdP, free in the catalog.
 */
suggested_name: string, };

export type IdpPreview = { idp: IdpDescriptor, warnings: Array<MetadataWarning>, 
/**
 * How soon each signing certificate expires, in the same order (the one expiry rule).
 */
certificate_expiry: Array<CertificateExpiry>, };

export type ReimportPreview = { url: string, metadata_xml: string, changes: Array<MetadataChange>, warnings: Array<MetadataWarning>, };

export type MetadataChange = { field: string, before: string, after: string, };

export type PresetInfo = { name: string, label: string, document: MappingDocument, };

export type MappingPreview = { 
/**
 * The test login whose claims were used; `None` when no test login has claims yet.
 */
test_login_id: number | null, claims: Claims, outcome: Outcome | null, user: User | null, diff: Array<FieldChange>, trace: Trace | null, 
/**
 * The rule that denied the login, with its code, message and hint.
 */
stopped_by: StoppedBy | null, 
/**
 * Set when the mapping itself is invalid (bad regex, duplicate target...).
 */
error: Error | null, 
/**
 * For a missing attribute: an attribute of these claims to map the field from.
 */
mapping_fix: MappingFix | null, };

export type MappingDocument = { 
/**
 * The stable key of a user: NameID by default; an immutable attribute (Entra's
 * objectidentifier) when the IdP sends transient NameIDs.
 */
subject: Source, fields: Array<FieldRule>, roles: Roles, access: Access, provisioning: Provisioning, };

export type FieldRule = { target: string, source: Source, transforms?: Array<Transform>, required: boolean, };

export type Source = { "type": "name_id" } | { "type": "attribute", name: string, 
/**
 * Match the Name ignoring letter case (off by default: SAML names are case-sensitive).
 */
case_insensitive: boolean, 
/**
 * When no attribute has this Name, take one whose FriendlyName is this.
 */
friendly_name_fallback: boolean, 
/**
 * Only an attribute with this NameFormat matches (any when absent).
 */
name_format?: string | null, } | { "type": "constant", value: string, } | { "type": "template", template: string, } | { "type": "field", name: string, } | { "type": "first_of", names: Array<string>, name_id_email: boolean, otherwise?: string | null, };

export type Transform = { "op": "trim" } | { "op": "lowercase" } | { "op": "split", delimiter: string, } | { "op": "regex", pattern: string, group: number, } | { "op": "first" } | { "op": "all" };

export type Roles = { rules: Array<RoleRule>, 
/**
 * Left out of the JSON when unset (`default` also tells the TypeScript bindings so).
 */
default_role?: string | null, when_none_match: NoMatch, };

export type RoleRule = { source: Source, op: Op, value?: string, values?: Array<string>, case_insensitive: boolean, grant: string, };

export type Op = "equals" | "contains" | "matches" | "one_of";

export type NoMatch = "default_role" | "deny";

export type Access = { 
/**
 * When not empty, the email's domain must be one of these.
 */
allowed_email_domains: Array<string>, 
/**
 * When not empty, the user must be in at least one of these groups.
 */
required_groups: Array<string>, 
/**
 * Emails or subjects that are refused (case-insensitive).
 */
deny: Array<string>, 
/**
 * The IdP must say the address is verified: an `email_verified` claim that is true (OIDC
 * Core §5.1; the string `"true"` some OPs send is read as true). Absent or false: denied.
 */
require_email_verified: boolean, };

export type Provisioning = { 
/**
 * Create accounts at first login. Off: only existing accounts may log in.
 */
jit: boolean, update: UpdatePolicy, role_sync: RoleSync, 
/**
 * Link a login to an existing account with the same email.
 */
link_by_email: boolean, 
/**
 * Email domains this connection's IdP is trusted for when linking.
 */
verified_domains: Array<string>, 
/**
 * Accounts holding one of these roles are never linked automatically.
 */
admin_roles: Array<string>, 
/**
 * JIT, SCIM or both, and who owns each field (src/provision/lifecycle.rs).
 */
lifecycle: Lifecycle, };

export type Lifecycle = { policy: LifecyclePolicy, 
/**
 * Hybrid: JIT creates only subjects SCIM has provisioned (`not_provisioned` otherwise).
 */
jit_requires_scim: boolean, match_rule: MatchRule, 
/**
 * Field name → owner; a field not listed takes the policy's default owner.
 */
owners: { [key in string]?: Owner }, };

export type LifecyclePolicy = "jit" | "scim" | "hybrid";

export type MatchRule = "external_id" | "user_name";

export type Owner = "scim" | "login" | "last_writer";

export type UpdatePolicy = "every_login" | "first_login" | "never";

export type RoleSync = "replace" | "add";

export type Trace = { subject: FieldTrace | null, fields: Array<FieldTrace>, roles: Array<RuleTrace>, access: Array<AccessTrace>, 
/**
 * Linking by email: every condition checked, in order, with what it found
 * (src/provision/linking.rs). Empty when no account had the login's address.
 */
linking?: Array<AccessTrace>, 
/**
 * Fields the login did not write because SCIM owns them (lifecycle `hybrid` or `scim`,
 * on an account with a live SCIM resource). Each is also a sentence in `notes`.
 */
ownership?: Array<OwnershipNote>, 
/**
 * Left out of the JSON when empty (`default` also tells the TypeScript bindings so).
 */
notes?: Array<string>, };

export type OwnershipNote = { field: string, login_value: JsonValue, kept_value: JsonValue, owner: Owner, };

export type RuleTrace = { rule: string, values: Array<string>, matched: boolean, matched_value?: string | null, grant?: string | null, };

export type AccessTrace = { rule: string, passed: boolean, detail: string, };

export type FieldTrace = { target: string, source: string, 
/**
 * What the source read, before transforms.
 */
raw: Array<string>, steps: Array<StepTrace>, 
/**
 * The final values (one for single-valued fields).
 */
value: Array<string>, matched: boolean, required: boolean, 
/**
 * Near misses: the attribute exists under another case, only as FriendlyName, with
 * another NameFormat, or as one delimited string.
 */
hints?: Array<string>, 
/**
 * For a source with candidates: each one tried, in order, up to the one that matched.
 */
tried?: Array<CandidateTrace>, };

export type StepTrace = { transform: string, output: Array<string>, };

export type CandidateTrace = { 
/**
 * The attribute name, `NameID (email format)` or the template.
 */
candidate: string, matched: boolean, };

export type MappingFix = { field: string, attribute: string, 
/**
 * The first value it carried, for the button's explanation.
 */
value: string, };

export type Claims = { name_id: NameId | null, attributes: Array<Attribute>, 
/**
 * What the protocol adapter noted while reading the claims (an OIDC claim merged with a
 * dotted one, a string boolean, claims left out past a limit); copied into the trace.
 * Left out of the JSON when empty.
 */
notes?: Array<string>, };

export type Outcome = "created" | "updated" | "unchanged" | "linked" | "denied" | "rejected";

export type Stop = CheckId | DenialCode;

export type DenialCode = "replay" | "missing_subject" | "missing_attribute" | "group_overage" | "domain_not_allowed" | "missing_required_group" | "denied_by_list" | "no_role" | "transient_subject" | "subject_too_long" | "subject_case_conflict" | "deactivated" | "jit_disabled" | "scim_deprovisioned" | "not_provisioned" | "email_in_use" | "email_confusable" | "link_domain_unverified" | "link_admin_refused" | "identity_conflict" | "email_unverified" | "conflict";

export type StoppedBy = { stop: Stop, 
/**
 * The violation (`audience_mismatch`) or the denial code (`email_in_use`).
 */
code: string, message: string, hint: string, };

export type Summary = { happened: string, why: string | null, change: string | null, };

export type User = { id: number, 
/**
 * The connection whose login created the account.
 */
connection: string | null, 
/**
 * IdP identities: (connection name, subject).
 */
identities: Array<Identity>, email: string | null, 
/**
 * The address came from a source trusted for its domain: an admin, or a connection that
 * lists the domain as verified. Only such accounts can be linked by email.
 */
email_verified: boolean, 
/**
 * Who set the address: `admin`, or the name of the connection whose login did.
 */
email_source: string | null, username: string | null, given_name: string | null, family_name: string | null, display_name: string | null, groups: Array<string>, roles: Array<string>, custom: { [key in string]?: string }, status: UserStatus, source: UserSource, first_login: string | null, last_login: string | null, login_count: number, created_at: string, updated_at: string, };

export type Identity = { connection: string, subject: string, linked: boolean, };

export type UserStatus = "active" | "deactivated";

export type UserSource = "jit" | "manual" | "scim";

export type FieldChange = { field: string, before: JsonValue, after: JsonValue, };

export type AuditEntry = { id: number, at: string, 
/**
 * The connection concerned; empty for an admin action on none (a user without one).
 */
connection: string, subject: string | null, 
/**
 * How the login ended; `None` on admin rows.
 */
outcome: Outcome | null, 
/**
 * For `rejected` and `denied`: the validation check (`audience`...) or the provisioning
 * rule (`missing_attribute`, `replay`...) that stopped the login.
 */
failed_check: Stop | null, 
/**
 * What stopped it and what to change.
 */
message: string | null, user_id: number | null, 
/**
 * Field by field: what the login changed in the account, or what the admin changed.
 * Never a secret (a key shows as `rotated` and its certificate's fingerprint).
 */
diff: Array<FieldChange>, kind: AuditKind, 
/**
 * Admin rows: the OS user who made the change (`unknown` when it cannot be told).
 */
actor: string | null, 
/**
 * Admin rows: what was changed.
 */
action: AdminAction | null, 
/**
 * SCIM rows (actor `scim`): what the SCIM client changed.
 */
scim_action: ScimAction | null, 
/**
 * SCIM rows: the request, redacted (`{method, path, query, body}`; password, secret and
 * token values replaced, the body cut at 16 KiB; never the Authorization header).
 */
request: JsonValue | null, };

export type Verdict = "accepted" | "rejected";

export type CheckResult = { id: CheckId, title: string, status: CheckStatus, 
/**
 * For a failure with several problems: every problem's expectation, joined with "; ".
 */
expected: string, 
/**
 * For a failure with several problems: everything found, joined with "; ".
 */
actual: string, 
/**
 * For a failure: what to change at the IdP or in the connection (every problem's fix).
 */
hint?: string | null, 
/**
 * For a failure: the machine-readable name of its first violation, e.g. `audience_mismatch`.
 */
violation?: string | null, 
/**
 * For a failure: every problem the check found, in the order found.
 */
problems?: Array<Problem>, };

export type Problem = { violation: string, expected: string, actual: string, hint: string, };

export type CheckId = "parse" | "doctype" | "single_assertion" | "decrypt" | "algorithm" | "signature" | "status" | "issuer" | "destination" | "subject_confirmation" | "time_window" | "audience" | "in_response_to" | "discovery" | "state" | "token_response" | "nonce" | "at_hash" | "userinfo_subject";

export type CheckStatus = "pass" | "fail" | "skip";

export type NameId = { value: string, format?: string | null, name_qualifier?: string | null, sp_name_qualifier?: string | null, };

export type Attribute = { name: string, name_format?: string | null, friendly_name?: string | null, values: Array<string>, };

export type TestLogin = { id: number, at: string, connection: string, kind: LoginKind, request_id: string | null, 
/**
 * A path inside Handshake to offer after the result (never a URL elsewhere).
 */
return_to: string | null, report: ProvisionReport, 
/**
 * The decoded Response XML (it holds no secret of ours); kept only when the input was a
 * SAML Response, and at most [`MAX_STORED_RESPONSE_BYTES`] of it.
 */
response_xml: string | null, 
/**
 * The decoded response's full size when `response_xml` holds only its beginning.
 */
response_xml_bytes: number | null, };

export type TestLoginSummary = { id: number, at: string, connection: string, kind: LoginKind, outcome: Outcome, failed_check: Stop | null, user_id: number | null, };

export type LoginKind = "sp_initiated" | "idp_initiated" | "unknown_request";

export type TestLoginDetail = { login: TestLogin, xml: Array<XmlLine>, 
/**
 * The verdict in sentences, the same words a scenario's row shows.
 */
summary: Summary, };

export type XmlLine = { depth: number, text: string, 
/**
 * Inside an element covered by a verified XML signature.
 */
signed: boolean, 
/**
 * Inside an `EncryptedAssertion`.
 */
encrypted: boolean, };

export type AnalyzeResult = { connection: string, 
/**
 * The instant the response was judged at (as `judged.at`).
 */
at: string, 
/**
 * The request ID accepted as outstanding (the response's own InResponseTo, if any).
 */
in_response_to: string | null, judged: Judged, report: ProvisionReport, xml: Array<XmlLine>, };

export type JudgingContext = { judge_as: JudgeAs, judge_at: JudgeAt, };

export type JudgeAs = { "kind": "connection" } | { "kind": "addressed", entity_id: string | null, acs_url: string | null, };

export type JudgeAt = { "kind": "now" } | { "kind": "response" } | { "kind": "instant", at: string, };

export type Judged = { 
/**
 * True when judged as the SP it was addressed to, false as this connection's SP.
 */
as_addressed: boolean, entity_id: JudgedValue<string>, acs_url: JudgedValue<string>, at: JudgedValue<string>, 
/**
 * What judging this way means, in sentences (the values' sources, the replay cache).
 */
notes: Array<string>, };

export type JudgedValue<T> = { value: T, source: ValueSource, };

export type ValueSource = "connection" | "response" | "given" | "clock";

export type ResponseAddressing = { 
/**
 * The SP entityID it names (its first Audience).
 */
entity_id: string | null, 
/**
 * The ACS URL it names (its Destination, else its bearer Recipient).
 */
acs_url: string | null, issuer: string | null, issue_instant: string | null, in_response_to: string | null, 
/**
 * The assertion is encrypted: its Audience and Recipient are unreadable without the key.
 */
encrypted: boolean, };

export type UserQuery = { connection: string | null, 
/**
 * Matches email, names, username, groups and roles, ignoring case.
 */
text: string | null, };

export type UserDetail = { user: User, 
/**
 * The audit rows about this user, newest first.
 */
audit: Array<AuditEntry>, };

export type AuditQuery = { connection: string | null, since: string | null, outcome: Outcome | null, 
/**
 * Matches subject, message, failed check and actor, ignoring case.
 */
text: string | null, 
/**
 * Only the rows about this account.
 */
user_id: number | null, 
/**
 * Only login attempts, or only admin actions.
 */
kind: AuditKind | null, 
/**
 * Only this admin action.
 */
action: AdminAction | null, };

export type AuditKind = "login" | "admin" | "scim";

export type AdminAction = "connection_import" | "connection_duplicate" | "connection_reimport" | "connection_remove" | "mapping_change" | "policy_change" | "sp_urls_change" | "sp_key_rotate" | "sp_key_replace" | "oidc_settings_change" | "oidc_secret_change" | "scim_enable" | "scim_disable" | "scim_token_rotate" | "user_activate" | "user_deactivate" | "user_delete" | "demo_reset" | "lifecycle_change";

export type ScimAction = "scim_create_user" | "scim_adopt" | "scim_replace_user" | "scim_patch_user" | "scim_deactivate_user" | "scim_delete_user" | "scim_create_group" | "scim_replace_group" | "scim_patch_group" | "scim_delete_group";

export type AuditFormat = "csv" | "json_lines";

export type DemoStyle = "entra" | "okta" | "google" | "generic";

export type SignMode = "response" | "assertion" | "both";

export type DemoIdpView = { entity_id: string, metadata_url: string, sso_url: string, certificate: Certificate, style: DemoStyle, style_label: string, sign: SignMode, encrypt: boolean, };

export type DemoIdpSettings = { style: DemoStyle | null, sign: SignMode | null, encrypt: boolean | null, };

export type DemoSetup = { idp: DemoIdpView, connection: ConnectionView, 
/**
 * Where a browser starts an SP-initiated test login at the demo connection.
 */
login_url: string, 
/**
 * The connection was created now (not reused).
 */
created: boolean, 
/**
 * A reused connection got the demo IdP's current metadata (new port or certificate).
 */
metadata_refreshed: boolean, };

export type DemoCatalog = { style: DemoStyle, scenarios: Array<ScenarioInfo>, personas: Array<Persona>, 
/**
 * The joiner-mover-leaver story with JIT alone, as far as the IdP's people show it.
 */
story: DemoStory, 
/**
 * The same story in hybrid (SCIM pre-provisions and de-provisions): the app shows the two
 * side by side.
 */
hybrid_story: DemoStory, };

export type DemoReset = { users_removed: number, test_logins_removed: number, personas: number, };

export type Persona = { 
/**
 * Immutable object ID (Entra's objectidentifier); stays when the email changes.
 */
id: string, email: string, given_name: string, family_name: string, display_name: string, department: string, title: string, groups: Array<string>, extra: Array<ExtraAttribute>, 
/**
 * Who this is in the demo story ("New hire"), for the picker.
 */
label: string, 
/**
 * A deactivated person cannot sign in at the IdP (which answers RequestDenied).
 */
active: boolean, };

export type ExtraAttribute = { name: string, values: Array<string>, };

export type ScenarioId = "happy" | "idp-initiated" | "encrypted" | "unsigned" | "unknown-key" | "expired" | "clock-skew" | "wrong-audience" | "wrong-recipient" | "wrong-destination" | "wrong-issuer" | "missing-email" | "delimited-groups" | "group-overage" | "transient-nameid" | "sha1" | "undecryptable" | "replay" | "unknown-in-response-to" | "idp-initiated-refused" | "oidc-happy" | "oidc-wrong-audience" | "oidc-expired" | "oidc-unknown-kid" | "oidc-alg-none" | "oidc-hs256-public-key" | "oidc-nonce-mismatch" | "oidc-wrong-issuer" | "oidc-missing-email" | "oidc-email-unverified" | "oidc-group-overage" | "oidc-code-replay" | "scim-deprovisioned-login" | "scim-jit-conflict" | "scim-claim-rollback" | "scim-bad-token" | "scim-entra-quirks";

export type ScenarioInfo = { name: string, title: string, explanation: string, flow: Flow, 
/**
 * With the demo IdP's current style and the default clock skew.
 */
expected: Expected, 
/**
 * `expected` in the terms of a result's summary ("Denied by the missing_attribute rule").
 */
intended: string, };

export type ScenarioRequest = { scenario: ScenarioId, persona: string | null, 
/**
 * For `clock-skew`: how far the IdP's clock is ahead (default 5 minutes).
 */
skew_minutes: number | null, };

export type ScenarioResult = { 
/**
 * The scenario's name; for a story step, the step's (`leaver`), which has its own intended outcome.
 */
scenario: string, 
/**
 * `accepted` only when the login ended with a signed-in user.
 */
verdict: DemoVerdict, 
/**
 * The validation check or provisioning rule that stopped the login.
 */
failed_check: Stop | null, 
/**
 * How the deciding sign-in ended; `None` for a SCIM scenario without one.
 */
outcome: Outcome | null, user: User | null, expected: Expected, 
/**
 * Verdict and failed check are the intended ones.
 */
as_expected: boolean, 
/**
 * `expected` in the terms of `summary` ("Rejected at the status check").
 */
intended: string, 
/**
 * What happened, why, what an admin would change: the words the full result shows too.
 */
summary: Summary, 
/**
 * What the login changed in the account (the mover's promotion), as the full result shows it.
 */
diff: Array<FieldChange>, persona: string, connection: string, 
/**
 * The test login at the ACS (the last one, for `replay`); `None` when the run signed
 * nobody in (`scim-bad-token`, `scim-entra-quirks`, the pre-provisioning step).
 */
test_login_id: number | null, 
/**
 * The SCIM requests the demo IdP's client sent, in order, with their answers.
 */
scim: Array<ScimExchange>, 
/**
 * What the scenario checks beyond the verdict (the directory, audit rows, the SCIM
 * document, the report), each judged by the core.
 */
checks: Array<DemoCheck>, };

export type Flow = "sp_initiated" | "idp_initiated" | "oidc_code" | "scim";

export type DemoVerdict = "accepted" | "rejected";

export type Expected = { verdict: DemoVerdict, 
/**
 * The validation check or provisioning rule that should stop the login.
 */
failed_check: Stop | null, 
/**
 * A SCIM scenario without a sign-in at the end: the HTTP status its SCIM requests get
 * (401 for `scim-bad-token`; 200 for `scim-entra-quirks`, meaning any success).
 */
scim_status: number | null, };

export type StoryStep = "pre-provision" | "joiner" | "mover" | "leaver";

export type StoryStepView = { step: StoryStep, title: string, text: string, 
/**
 * The step's effect is already there (running it again only signs in).
 */
done: boolean, 
/**
 * How the step's sign-in should end, in the terms of its result's summary.
 */
intended: string, };

export type DemoStory = { mode: StoryMode, person: Persona | null, steps: Array<StoryStepView>, 
/**
 * The story starts from its known state: no step's effect is there yet (no account,
 * not promoted, active at the IdP). Otherwise the app offers to start over.
 */
fresh: boolean, };

export type StoryStepResult = { step: StoryStep, mode: StoryMode, result: ScenarioResult, moral: string, story: DemoStory, };

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type ScimType = "invalidFilter" | "tooMany" | "uniqueness" | "mutability" | "invalidSyntax" | "invalidPath" | "noTarget" | "invalidValue" | "invalidVers" | "sensitive";

export type ResourceKind = "User" | "Group";

export type ScimRequestSummary = { id: number, connection: string, at: string, method: Method, path: string, status: number, scim_type: ScimType | null, resource_type: ResourceKind | null, resource_id: string | null, user_id: number | null, 
/**
 * The parsed change, one line per operation (`replace active = false`).
 */
change: Array<string>, 
/**
 * What the directory account changed, field by field.
 */
diff: Array<FieldChange>, 
/**
 * Quirks tolerated on the way (`capitalised op "Replace"`, `boolean string "False"`).
 */
notes: Array<string>, request_body: string | null, response_body: string | null, client: string | null, duration_ms: number, };

export type ScimStatus = { connection: string, enabled: boolean, 
/**
 * `http://127.0.0.1:{port}/scim/{name}/v2`: what the IdP's SCIM client is given.
 */
endpoint: string, lifecycle: Lifecycle, token_generation: number, enabled_at: string | null, rotated_at: string | null, 
/**
 * Live SCIM resources (tombstones not counted).
 */
users: number, groups: number, };

export type Rejections = { 
/**
 * In the last minute.
 */
last_minute: number, 
/**
 * Since the server started (counted up to the kept window of the newest 64).
 */
kept: number, last_at: string | null, };

export type ScimTokenIssued = { status: ScimStatus, 
/**
 * The token is on the system clipboard, ready to paste into the IdP.
 */
copied: boolean, 
/**
 * Why it is not (the platform's words); the token is then lost: rotate again.
 */
copy_error: string | null, 
/**
 * `…` and the token's last [`TOKEN_HINT_CHARS`] characters.
 */
token_hint: string, };

export type ScimReport = { connection: string, jit_unknown_to_scim: Array<ReportUser>, scim_never_signed_in: Array<ReportUser>, claims_disagree: Array<Disagreement>, };

export type ReportUser = { user_id: number, subject: string | null, email: string | null, display_name: string | null, scim_id: string | null, created_at: string, };

export type Disagreement = { user: ReportUser, field: string, scim: JsonValue, login: JsonValue, 
/**
 * Whose value the account holds.
 */
owner: Owner, login_at: string, };

export type StoryMode = "jit" | "hybrid";

export type ScimExchange = { 
/**
 * What the IdP did ("create Priya Shah", "deactivate", "wrong token").
 */
what: string, method: Method, 
/**
 * Below the endpoint, with the query (`/Users?filter=…`).
 */
path: string, status: number, 
/**
 * The status was the one intended (a 2xx, or the 401 of a bad token).
 */
ok: boolean, 
/**
 * The response body (SCIM resources and errors carry no secret).
 */
body: unknown, };

export type DemoCheck = { 
/**
 * What should hold ("the account is deactivated").
 */
what: string, ok: boolean, 
/**
 * What was found.
 */
found: string, };

export type StoryRun = { mode: StoryMode, steps: Array<StoryStepResult>, };

/** Connection names: at most this many characters, matching NAME_PATTERN (src/connection.rs). */
export const CONNECTION_NAME_MAX_LEN = 64;
export const CONNECTION_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

/** A certificate expiring within this many days is "soon" (src/workbench/connections.rs). */
export const EXPIRY_WARNING_DAYS = 30;

/** The demo IdP's styles, each imitating a product of the vendor registry (src/vendor.rs). */
export const DEMO_STYLES: { id: DemoStyle; label: string }[] = [{ id: "entra", label: "Microsoft Entra ID" }, { id: "okta", label: "Okta" }, { id: "google", label: "Google Workspace" }, { id: "generic", label: "Generic SAML 2.0" }];
