// Typed fixtures for the screen tests (Connections, Import, Users, Audit, App).
import type {
  AppStatus, AuditEntry, Certificate, ConnectionSummary, ConnectionView, IdpDescriptor, MetadataPreview, User,
  UserDetail,
} from "../lib/generated/types";

export const NOW = new Date("2026-11-23T14:05:00Z");

export function summary(over: Partial<ConnectionSummary> = {}): ConnectionSummary {
  return {
    name: "okta-prod",
    protocol: "saml",
    idp_entity_id: "http://www.okta.com/exk1abcd",
    vendor: { id: "okta", label: "Okta", preset: true, oidc_preset: true },
    status: "never_tested",
    last_test_at: null,
    last_failed_check: null,
    certificate: { not_after: "2027-06-01T00:00:00Z", days_left: 190, level: "ok" },
    user_count: 0,
    updated_at: "2026-11-20T10:00:00Z",
    demo_helper: null,
    ...over,
  };
}

export const connectionsFixture: ConnectionSummary[] = [
  summary({ name: "okta-prod", status: "ok", last_test_at: new Date(Date.now() - 3 * 60_000).toISOString(), user_count: 12 }),
  summary({
    name: "entra-test",
    vendor: { id: "entra", label: "Microsoft Entra ID", preset: true, oidc_preset: true },
    idp_entity_id: "https://sts.windows.net/0000-1111/",
    status: "failing",
    last_test_at: "2026-11-22T09:00:00Z",
    last_failed_check: "audience",
    certificate: { not_after: "2026-12-05T00:00:00Z", days_left: 12, level: "soon" },
  }),
  summary({
    name: "adfs-old",
    vendor: { id: "adfs", label: "AD FS", preset: true, oidc_preset: false },
    idp_entity_id: "http://adfs.example.com/adfs/services/trust",
    certificate: { not_after: "2025-01-01T00:00:00Z", days_left: -300, level: "expired" },
  }),
];

export const cert: Certificate = {
  der_base64: "MIIB",
  sha256_fingerprint: "AB:CD:EF:01",
  subject: "CN=okta-signing",
  issuer: "CN=okta-signing",
  not_before: "2024-01-01T00:00:00Z",
  not_after: "2034-01-01T00:00:00Z",
  key: "RSA 2048",
};

export const idp: IdpDescriptor = {
  entity_id: "http://www.okta.com/exk1abcd",
  sso: [
    { binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", location: "https://acme.okta.com/sso/saml" },
    { binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", location: "https://acme.okta.com/sso/saml/post" },
  ],
  slo: [],
  name_id_formats: ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
  signing_certificates: [cert],
  want_authn_requests_signed: false,
  valid_until: null,
};

export function preview(over: Partial<MetadataPreview> = {}): MetadataPreview {
  return {
    idps: [{ entity_id: idp.entity_id, display_name: null, sso_bindings: [idp.sso[0].binding], saml2: true }],
    aggregate: null,
    chosen: { idp, warnings: [], certificate_expiry: [{ not_after: cert.not_after, days_left: 2600, level: "ok" }] },
    error: null,
    vendor: { id: "okta", label: "Okta", preset: true, oidc_preset: true },
    suggested_name: "okta",
    ...over,
  };
}

export function view(name: string): ConnectionView {
  return {
    name,
    protocol: "saml",
    idp_entity_id: idp.entity_id,
    sso: idp.sso,
    slo: [],
    name_id_formats: [],
    want_authn_requests_signed: false,
    valid_until: null,
    signing_certificates: [cert],
    certificate_expiry: [{ not_after: cert.not_after, days_left: 2600, level: "ok" }],
    sp: {
      entity_id: `http://127.0.0.1:8080/sp/${name}`,
      acs_url: `http://127.0.0.1:8080/sp/${name}/acs`,
      entity_id_explicit: false,
      acs_url_explicit: false,
      certificate_expiry: null,
      certificate: null,
    },
    policy: {
      signature: "assertion_or_response",
      require_encrypted_assertion: false,
      clock_skew_seconds: 60,
      allow_idp_initiated: false,
      allow_sha1: false,
      sign_authn_requests: false,
      allow_missing_destination: false,
    },
    metadata_source: "pasted",
    metadata_imported_at: "2026-11-23T14:00:00Z",
    created_at: "2026-11-23T14:00:00Z",
    updated_at: "2026-11-23T14:00:00Z",
  };
}

export function user(over: Partial<User> = {}): User {
  return {
    id: 1,
    connection: "okta-prod",
    identities: [{ connection: "okta-prod", subject: "ada@example.com", linked: false }],
    email: "ada@example.com",
    email_verified: false,
    email_source: "okta-prod",
    username: null,
    given_name: "Ada",
    family_name: "Lovelace",
    display_name: "Ada Lovelace",
    groups: ["engineering", "admins"],
    roles: ["admin"],
    custom: { department: "R&D" },
    status: "active",
    source: "jit",
    first_login: "2026-11-01T08:00:00Z",
    last_login: "2026-11-23T13:00:00Z",
    login_count: 4,
    created_at: "2026-11-01T08:00:00Z",
    updated_at: "2026-11-23T13:00:00Z",
    ...over,
  };
}

export function auditEntry(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: 1,
    at: "2026-11-23T13:00:00Z",
    connection: "okta-prod",
    subject: "ada@example.com",
    outcome: "updated",
    failed_check: null,
    message: "2 fields changed",
    user_id: 1,
    diff: [{ field: "roles", before: ["user"], after: ["admin"] }],
    kind: "login",
    actor: null,
    action: null,
    scim_action: null,
    request: null,
    ...over,
  };
}

/** An admin's change: the OS user, the action, a diff that names no secret. */
export function adminEntry(over: Partial<AuditEntry> = {}): AuditEntry {
  return auditEntry({
    id: 3,
    at: "2026-11-23T13:30:00Z",
    subject: null,
    outcome: null,
    message: "Changed the security policy of okta-prod",
    user_id: null,
    diff: [
      { field: "policy.allow_sha1", before: false, after: true },
      { field: "policy.clock_skew_seconds", before: 180, after: 120 },
    ],
    kind: "admin",
    actor: "ada",
    action: "policy_change",
    ...over,
  });
}

export function userDetail(u: User = user()): UserDetail {
  return { user: u, audit: [auditEntry()] };
}

export function appStatus(over: Partial<AppStatus> = {}): AppStatus {
  return {
    version: "0.1.0",
    database: "/tmp/handshake.db",
    secret_store: "keyring",
    secret_store_error: null,
    server: { running: true, port: 8080, base_url: "http://127.0.0.1:8080", error: null },
    ...over,
  };
}
