// Typed fixtures for the detail and test-login component tests (they satisfy the types
// generated from Rust, so a change there breaks the tests at compile time).
import type {
  AnalyzeResult, Attribute, CheckResult, ConnectionView, MappingDocument, MappingPreview, Outcome, PresetInfo,
  ProvisionReport, Summary, SecurityPolicy, TestLoginDetail, TestLoginSummary, Trace, User, XmlLine,
} from "../../lib/generated/types";
import acme from "../../lib/testdata/connection_acme.json";
import { idp, user as screenUser } from "../testFixtures";

const CERT_DER =
  "MIIDBTCCAe2gAwIBAgIUQ3JlYXRlZEZvclRlc3RzT25seTANBgkqhkiG9w0BAQsFADASMRAwDgYDVQQDDAdleGFtcGxlMB4XDTI0MDEwMTAwMDAwMFoXDTM0MDEwMTAwMDAwMFow";

/** The Okta IdP of the screen fixtures, as a connection with the core's default policy. */
export function connectionView(overrides: Partial<ConnectionView> = {}): ConnectionView {
  const { entity_id, signing_certificates: _, ...endpoints } = structuredClone(idp);
  return {
    name: "okta-prod",
    protocol: "saml",
    idp_entity_id: entity_id,
    ...endpoints,
    signing_certificates: [
      {
        der_base64: CERT_DER,
        sha256_fingerprint: "AB:CD:EF:01",
        subject: "CN=acme",
        issuer: "CN=acme",
        not_before: "2024-01-01T00:00:00Z",
        not_after: "2034-01-01T00:00:00Z",
        key: "RSA 2048",
      },
    ],
    certificate_expiry: [{ not_after: "2034-01-01T00:00:00Z", days_left: 2600, level: "ok" }],
    sp: {
      entity_id: "http://127.0.0.1:7777/saml/okta-prod/metadata",
      acs_url: "http://127.0.0.1:7777/saml/okta-prod/acs",
      entity_id_explicit: false,
      acs_url_explicit: false,
      certificate_expiry: { not_after: "2034-01-01T00:00:00Z", days_left: 2600, level: "ok" },
      certificate: {
        der_base64: CERT_DER,
        sha256_fingerprint: "12:34:56",
        subject: "CN=Handshake SP okta-prod",
        issuer: "CN=Handshake SP okta-prod",
        not_before: "2024-01-01T00:00:00Z",
        not_after: "2034-01-01T00:00:00Z",
        key: "RSA 2048",
      },
    },
    // A snapshot's connection was imported with the defaults: the core's default policy.
    policy: { ...(acme.policy as SecurityPolicy) },
    metadata_source: "https://acme.okta.com/app/exk1abcd/sso/saml/metadata",
    metadata_imported_at: "2025-01-01T10:00:00Z",
    created_at: "2025-01-01T10:00:00Z",
    updated_at: "2025-01-01T10:00:00Z",
    ...overrides,
  };
}

export function mappingDocument(): MappingDocument {
  return {
    subject: { type: "name_id" },
    fields: [
      {
        target: "email",
        source: { type: "attribute", name: "email", case_insensitive: false, friendly_name_fallback: true },
        transforms: [{ op: "trim" }, { op: "lowercase" }],
        required: true,
      },
      {
        target: "given_name",
        source: { type: "attribute", name: "firstName", case_insensitive: false, friendly_name_fallback: true },
        required: false,
      },
      {
        target: "groups",
        source: { type: "attribute", name: "groups", case_insensitive: false, friendly_name_fallback: true },
        required: false,
      },
    ],
    roles: {
      rules: [
        { source: { type: "field", name: "groups" }, op: "equals", value: "Admins", case_insensitive: false, grant: "admin" },
        { source: { type: "field", name: "groups" }, op: "contains", value: "Eng", case_insensitive: true, grant: "developer" },
        { source: { type: "field", name: "groups" }, op: "one_of", values: ["Sales", "Support"], case_insensitive: false, grant: "agent" },
      ],
      default_role: "member",
      when_none_match: "default_role",
    },
    access: { allowed_email_domains: ["acme.com"], required_groups: [], deny: [], require_email_verified: false },
    provisioning: {
      jit: true,
      update: "every_login",
      role_sync: "replace",
      link_by_email: false,
      verified_domains: [],
      admin_roles: ["admin", "owner"],
      lifecycle: { policy: "jit", jit_requires_scim: false, match_rule: "user_name", owners: {} },
    },
  };
}

export const attributes: Attribute[] = [
  { name: "email", name_format: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", values: ["Ada@Acme.com "] },
  { name: "firstName", values: ["Ada"] },
  { name: "urn:oid:2.5.4.4", friendly_name: "sn", values: ["Lovelace"] },
  { name: "groups", values: ["Admins", "Engineering"] },
];

export function trace(): Trace {
  return {
    subject: {
      target: "subject", source: "NameID", raw: ["ada@acme.com"], steps: [], value: ["ada@acme.com"], matched: true, required: false,
    },
    fields: [
      {
        target: "email",
        source: "attribute email",
        raw: ["Ada@Acme.com "],
        steps: [
          { transform: "trim", output: ["Ada@Acme.com"] },
          { transform: "lowercase", output: ["ada@acme.com"] },
        ],
        value: ["ada@acme.com"],
        matched: true,
        required: true,
      },
      {
        target: "given_name", source: "attribute firstName", raw: ["Ada"], steps: [], value: ["Ada"], matched: true, required: false,
      },
      {
        target: "groups", source: "attribute groups", raw: ["Admins", "Engineering"], steps: [], value: ["Admins", "Engineering"],
        matched: true, required: false,
      },
    ],
    roles: [
      { rule: 'when field groups equals "Admins" → grant "admin"', values: ["Admins", "Engineering"], matched: true, matched_value: "Admins", grant: "admin" },
      { rule: 'when field groups contains "Eng" → grant "developer"', values: ["Admins", "Engineering"], matched: true, matched_value: "Engineering", grant: "developer" },
      { rule: 'when field groups is one of ["Sales", "Support"] → grant "agent"', values: ["Admins", "Engineering"], matched: false },
    ],
    access: [{ rule: 'email domain is one of ["acme.com"]', passed: true, detail: "domain acme.com" }],
    notes: [],
  };
}

/** The account a first test login created: the screen fixtures' Ada, as this IdP describes her. */
export function user(overrides: Partial<User> = {}): User {
  const at = "2025-02-01T09:00:00Z";
  return screenUser({
    id: 7,
    identities: [{ connection: "okta-prod", subject: "ada@acme.com", linked: false }],
    email: "ada@acme.com",
    family_name: null,
    display_name: null,
    groups: ["Admins", "Engineering"],
    roles: ["admin", "developer"],
    first_login: at,
    last_login: at,
    login_count: 1,
    created_at: at,
    updated_at: at,
    ...overrides,
  });
}

const ALL_CHECKS: [CheckResult["id"], string][] = [
  ["parse", "SAMLResponse is base64 of a well-formed samlp:Response"],
  ["doctype", "No DOCTYPE (no entity expansion, no external fetches)"],
  ["single_assertion", "Exactly one Assertion or EncryptedAssertion, a direct child of the Response"],
  ["decrypt", "EncryptedAssertion and EncryptedID decrypt with the SP key (RSA-OAEP + AES)"],
  ["algorithm", "ds:SignatureMethod and ds:DigestMethod are allowed algorithms"],
  ["signature", "ds:Signature over the Assertion or its Response verifies with an IdP metadata certificate"],
  ["status", "samlp:Status/StatusCode is Success"],
  ["issuer", "Issuer of Response and Assertion equals the IdP entityID"],
  ["destination", "Response Destination equals the ACS URL"],
  ["subject_confirmation", "A bearer SubjectConfirmation with Recipient = ACS URL, not expired"],
  ["time_window", "Conditions NotBefore <= now < NotOnOrAfter (with clock skew)"],
  ["audience", "AudienceRestriction names the SP entityID exactly"],
  ["in_response_to", "InResponseTo matches the outstanding AuthnRequest (or unsolicited is allowed)"],
];

export function passingChecks(): CheckResult[] {
  return ALL_CHECKS.map(([id, title]) => ({ id, title, status: "pass", expected: "ok", actual: "ok" }));
}

/** Checks where `audience` fails and later ones are skipped. */
export function audienceFailureChecks(): CheckResult[] {
  let failed = false;
  return ALL_CHECKS.map(([id, title]): CheckResult => {
    if (id === "audience") {
      failed = true;
      return {
        id, title, status: "fail",
        expected: "http://127.0.0.1:7777/saml/okta-prod/metadata",
        actual: "https://wrong.example/sp",
        hint: "Set the Audience URI in the IdP to the SP entityID",
        violation: "audience_mismatch",
      };
    }
    if (failed) return { id, title, status: "skip", expected: "", actual: "not reached: check `audience` failed first" };
    return { id, title, status: "pass", expected: "ok", actual: "ok" };
  });
}

export function createdReport(): ProvisionReport {
  return {
    outcome: "created",
    dry_run: false,
    verdict: "accepted",
    failed_check: null,
    stopped_by: null,
    user: user(),
    diff: [
      { field: "email", before: null, after: "ada@acme.com" },
      { field: "roles", before: [], after: ["admin", "developer"] },
    ],
    trace: trace(),
    checks: passingChecks(),
    name_id: { value: "ada@acme.com", format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" },
    attributes,
    response_signed: false,
    assertion_signed: true,
    encrypted: false,
    mapping_fix: null,
  };
}

export function rejectedReport(): ProvisionReport {
  return {
    outcome: "rejected",
    dry_run: false,
    verdict: "rejected",
    failed_check: "audience",
    stopped_by: {
      stop: "audience",
      code: "audience_mismatch",
      message: "the Audience is https://wrong.example/sp",
      hint: "Set the Audience URI in the IdP to the SP entityID",
    },
    user: null,
    diff: [],
    trace: null,
    checks: audienceFailureChecks(),
    name_id: { value: "ada@acme.com" },
    attributes,
    response_signed: false,
    assertion_signed: true,
    encrypted: false,
    mapping_fix: null,
  };
}

export const xmlLines: XmlLine[] = [
  { depth: 0, text: '<samlp:Response ID="_r1">', signed: false, encrypted: false },
  { depth: 1, text: "<saml:Issuer>http://www.okta.com/exk1abcd</saml:Issuer>", signed: false, encrypted: false },
  { depth: 1, text: '<saml:Assertion ID="_a1">', signed: true, encrypted: false },
  { depth: 2, text: "<saml:Audience>https://wrong.example/sp</saml:Audience>", signed: true, encrypted: false },
  { depth: 1, text: "</saml:Assertion>", signed: true, encrypted: false },
  { depth: 0, text: "</samlp:Response>", signed: false, encrypted: false },
];

export function loginDetail(id: number, report: ProvisionReport, connection = "okta-prod"): TestLoginDetail {
  return {
    login: {
      id,
      at: "2025-02-01T09:00:00Z",
      connection,
      kind: "sp_initiated",
      request_id: "_abc",
      return_to: null,
      report,
      response_xml: "<samlp:Response/>",
      response_xml_bytes: null,
    },
    xml: xmlLines,
    summary: summaryOf(report),
  };
}

/** The core's Summary of `report` (src/login/summary.rs), with the core's words. */
export function summaryOf(report: ProvisionReport): Summary {
  const stop = report.stopped_by;
  const what: Record<string, string> = {
    created: "Signed in: a new user was created (just-in-time provisioning).",
    updated: "Signed in: the user's record was updated from the IdP's claims.",
    unchanged: "Signed in: the user already existed and nothing changed.",
    linked: "Signed in: the login was linked to an existing account by email.",
    denied: `Denied by the ${report.failed_check} rule: the response is valid, but provisioning refused the user.`,
    rejected: `Rejected at the ${report.failed_check} check: the response was not accepted.`,
  };
  return { happened: what[report.outcome], why: stop?.message ?? null, change: stop?.hint ?? null };
}

export function summary(id: number, outcome: Outcome = "created", connection = "okta-prod"): TestLoginSummary {
  return {
    id,
    at: "2025-02-01T09:00:00Z",
    connection,
    kind: "sp_initiated",
    outcome,
    failed_check: outcome === "rejected" ? "audience" : null,
    user_id: outcome === "rejected" ? null : 7,
  };
}

export function analyzeResult(): AnalyzeResult {
  return {
    connection: "okta-prod",
    at: "2025-02-01T09:00:00Z",
    in_response_to: "_req42",
    judged: {
      as_addressed: false,
      entity_id: { value: "https://app.example.com/saml/metadata", source: "connection" },
      acs_url: { value: "https://app.example.com/saml/acs", source: "connection" },
      at: { value: "2025-02-01T09:00:00Z", source: "given" },
      notes: [
        "Judged as this connection's SP: SP entityID https://app.example.com/saml/metadata, ACS URL https://app.example.com/saml/acs.",
        "Judged at 2025-02-01T09:00:00Z, the instant you gave.",
      ],
    },
    report: createdReport(),
    xml: xmlLines,
  };
}

export function mappingPreview(overrides: Partial<MappingPreview> = {}): MappingPreview {
  return {
    test_login_id: 3,
    claims: { name_id: { value: "ada@acme.com" }, attributes },
    outcome: "created",
    user: user(),
    diff: [],
    trace: trace(),
    stopped_by: null,
    mapping_fix: null,
    error: null,
    ...overrides,
  };
}

export function presets(): PresetInfo[] {
  const entra = mappingDocument();
  entra.subject = {
    type: "attribute",
    name: "http://schemas.microsoft.com/identity/claims/objectidentifier",
    case_insensitive: false,
    friendly_name_fallback: true,
  };
  entra.fields = [
    {
      target: "email",
      source: {
        type: "attribute",
        name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        case_insensitive: false,
        friendly_name_fallback: true,
      },
      transforms: [{ op: "trim" }, { op: "lowercase" }],
      required: true,
    },
  ];
  return [
    { name: "generic", label: "Generic SAML", document: mappingDocument() },
    { name: "entra", label: "Microsoft Entra ID", document: entra },
  ];
}
