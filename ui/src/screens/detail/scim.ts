// The SCIM tab's words and rules that are the app's own (the rules themselves live in the
// core: src/provision/lifecycle.rs): policy labels, default owners the form shows, how a
// request-log row reads, and the per-vendor setup notes.
import type {
  Lifecycle,
  LifecyclePolicy,
  MatchRule,
  Owner,
  ScimRequestSummary,
  User,
} from "../../lib/generated/types";
import type { Tone } from "../../lib/components/Badge.svelte";

export const POLICIES: { id: LifecyclePolicy; label: string; help: string }[] = [
  {
    id: "jit",
    label: "JIT only",
    help: "Logins create and update accounts (Handshake before SCIM). SCIM writes, when enabled, win when they come last; nothing removes a leaver.",
  },
  {
    id: "scim",
    label: "SCIM only",
    help: "Only the IdP's SCIM client creates accounts: a login of someone SCIM never provisioned is denied (not_provisioned).",
  },
  {
    id: "hybrid",
    label: "Hybrid",
    help: "Both. Someone SCIM deactivated or deleted is denied at login and never recreated by JIT; each field below has an owner, and a login never overwrites a SCIM-owned field.",
  },
];

export const MATCH_RULES: { id: MatchRule; label: string; help: string }[] = [
  {
    id: "user_name",
    label: "userName",
    help: "The SCIM userName equals the login subject (the SAML NameID of most IdPs; Okta SAML).",
  },
  {
    id: "external_id",
    label: "externalId",
    help: "The SCIM externalId equals the login subject (Okta's user id = OIDC sub; Entra's objectId = oid, once Entra maps externalId to objectId).",
  },
];

/** The account fields an owner is set for (src/provision/lifecycle.rs OWNED_FIELDS), and the two whose owner is fixed. */
export const OWNED_FIELDS: { field: string; label: string; fixed?: Owner; why?: string }[] = [
  { field: "email", label: "Email" },
  { field: "username", label: "Username" },
  { field: "given_name", label: "Given name" },
  { field: "family_name", label: "Family name" },
  { field: "display_name", label: "Display name" },
  { field: "groups", label: "Groups" },
  { field: "status", label: "Status", fixed: "scim", why: "Only SCIM (or an admin) activates or deactivates; a login never does." },
  { field: "roles", label: "Roles", fixed: "login", why: "Granted by the role rules at each login." },
];

export const OWNERS: { id: Owner; label: string }[] = [
  { id: "scim", label: "SCIM" },
  { id: "login", label: "Login claims" },
  { id: "last_writer", label: "Last writer" },
];

export function ownerLabel(o: Owner): string {
  return OWNERS.find((x) => x.id === o)?.label ?? o;
}

/**
 * Who owns `field` when the owners do not list it (Lifecycle::owner in the core): `status`
 * is SCIM's and `roles` the login's; under jit every other field goes to the last writer;
 * under scim and hybrid SCIM owns the profile and groups, the last writer custom fields.
 */
export function defaultOwner(policy: LifecyclePolicy, field: string): Owner {
  const fixed = OWNED_FIELDS.find((f) => f.field === field)?.fixed;
  if (fixed) return fixed;
  if (policy === "jit" || field.startsWith("custom.")) return "last_writer";
  return "scim";
}

/** The owner in effect for `field` (owners are not read under jit). */
export function ownerOf(l: Lifecycle, field: string): Owner {
  const fixed = OWNED_FIELDS.find((f) => f.field === field)?.fixed;
  if (fixed) return fixed;
  if (l.policy === "jit") return "last_writer";
  return l.owners[field] ?? defaultOwner(l.policy, field);
}

/** A copy with `field` owned by `owner`; an owner equal to the policy's default is not listed. */
export function withOwner(l: Lifecycle, field: string, owner: Owner): Lifecycle {
  const owners = { ...l.owners };
  if (owner === defaultOwner(l.policy, field)) delete owners[field];
  else owners[field] = owner;
  return { ...l, owners };
}

/** One order of keys, for comparing a draft with the saved lifecycle. */
export function sameLifecycle(a: Lifecycle, b: Lifecycle): boolean {
  const norm = (l: Lifecycle) =>
    JSON.stringify([l.policy, l.jit_requires_scim, l.match_rule, Object.entries(l.owners).sort()]);
  return norm(a) === norm(b);
}

/** A status code as the log shows it. */
export function statusTone(status: number): Tone {
  if (status >= 500) return "bad";
  if (status >= 400) return "warn";
  return "ok";
}

/** The log row's one-line summary: its first change, or what the status says. */
export function changeLine(r: ScimRequestSummary): string {
  if (r.change.length > 0) return r.change.length > 1 ? `${r.change[0]} (+${r.change.length - 1})` : r.change[0];
  if (r.scim_type) return r.scim_type;
  if (r.method === "GET") return "read";
  return "—";
}

/** A redacted body as the log shows it: indented when it is JSON, as sent otherwise. */
export function prettyBody(body: string | null): string | null {
  if (body === null || body === "") return null;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** Where a user came from, as the Users screen says it. */
export function sourceLabel(u: Pick<User, "source">): string {
  switch (u.source) {
    case "scim":
      return "SCIM";
    case "jit":
      return "JIT";
    default:
      return "Manual";
  }
}

/**
 * A user's SCIM status as far as the account tells: a SCIM account is provisioned or
 * deprovisioned (deactivated by SCIM); a JIT or manual one was never pushed by SCIM.
 */
export function scimStatus(u: Pick<User, "source" | "status">): { tone: Tone; text: string; title: string } {
  if (u.source !== "scim")
    return { tone: "muted", text: "Not from SCIM", title: "Created by a login (JIT) or an admin; SCIM did not create it." };
  if (u.status === "active") return { tone: "ok", text: "Provisioned", title: "Created by the IdP's SCIM client and active." };
  return { tone: "bad", text: "Deprovisioned", title: "Deactivated (or deleted) by the IdP's SCIM client: its logins are denied." };
}

export type VendorId = "okta" | "entra" | "onelogin" | "jumpcloud" | "google";

export interface VendorNote {
  id: VendorId;
  label: string;
  /** Where the two values go, in the IdP's own words. */
  where: string;
  steps: string[];
  /** The match rule this IdP's usual setup needs. */
  match: string;
  /** The IdP has no SCIM client for a custom app. */
  unsupported?: boolean;
}

export const VENDOR_NOTES: VendorNote[] = [
  {
    id: "okta",
    label: "Okta",
    where: "Applications → your app → General → App Settings: enable SCIM provisioning; then the Provisioning tab → Integration.",
    steps: [
      "SCIM connector base URL: the endpoint above. Unique identifier field for users: userName.",
      "Supported provisioning actions: Push New Users, Push Profile Updates, Push Groups. Authentication Mode: HTTP Header, Authorization: Bearer + the token.",
      "Test Connector Configuration reads /Users?count=2 and /Groups: both appear in the log below.",
      "Custom (AIW) apps push profile changes as a full PUT: Handshake keeps active as it is when a PUT leaves it out. Deactivation is active=false.",
    ],
    match: "OIDC: externalId (Okta's user id = sub). SAML: userName (the Okta username = NameID).",
  },
  {
    id: "entra",
    label: "Entra ID",
    where: "Enterprise applications → your app → Provisioning → Admin Credentials (Provisioning Mode: Automatic).",
    steps: [
      "Tenant URL: the endpoint above followed by ?aadOptscim062020 (the RFC-compliant PATCH shapes; Handshake also accepts the older ones: \"Replace\", \"False\", value lists).",
      "Secret Token: the token. Test Connection probes userName eq \"<random guid>\" and expects an empty list.",
      "Attribute mappings: map externalId to objectId (the default is mailNickname), so that a SCIM user and the login's objectidentifier / oid subject meet.",
      "Entra first deactivates (active=false) and deletes about 30 days later: both deny the login here.",
    ],
    match: "externalId, mapped to objectId (SAML: objectidentifier claim; OIDC: oid).",
  },
  {
    id: "onelogin",
    label: "OneLogin",
    where: "Applications → SCIM Provisioner with SAML (SCIM v2 Enterprise, full SAML) → Configuration.",
    steps: [
      "SCIM Base URL: the endpoint above. SCIM Bearer Token: the token.",
      "The SCIM JSON Template sets userName from scimusername; its legacy schemas URN is accepted (noted in the log).",
      "Provisioning tab: enable provisioning; groups are not part of the template.",
    ],
    match: "userName (scimusername = the SAML NameID).",
  },
  {
    id: "jumpcloud",
    label: "JumpCloud",
    where: "SSO Applications → your app → Identity Management.",
    steps: [
      "API type: SCIM 2.0. Base URL: the endpoint above. Token Key: the token (some setups add the Authorization: Bearer header by hand).",
      "Test User Email: an address the connection test creates and removes; its requests show in the log.",
      "Group member removal arrives as a value list (the older Entra shape): accepted.",
    ],
    match: "userName (the JumpCloud username or email = the SAML NameID).",
  },
  {
    id: "google",
    label: "Google Workspace",
    where: "Google Workspace has no SCIM client for custom SAML or OIDC apps.",
    steps: [
      "Automatic provisioning exists only for the catalog apps Google preconfigures; a custom app gets none.",
      "Use the JIT only policy for a Google connection, or put Okta or Entra ID in front of Google and provision from there.",
    ],
    match: "—",
    unsupported: true,
  },
];

/** The vendor note to open first for a connection's detected vendor. */
export function vendorNoteFor(vendorId: string | null | undefined): VendorId {
  return VENDOR_NOTES.some((v) => v.id === vendorId) ? (vendorId as VendorId) : "okta";
}

/** A cloud IdP cannot reach 127.0.0.1: the tunnel must rewrite the Host header to it. */
export function tunnelCommands(endpoint: string): { ngrok: string; cloudflared: string } {
  let port = "PORT";
  try {
    port = new URL(endpoint).port || "80";
  } catch {
    // Not a URL (no server yet): keep the placeholder.
  }
  return {
    ngrok: `ngrok http ${port} --host-header=rewrite`,
    cloudflared: `cloudflared tunnel --url http://127.0.0.1:${port} --http-host-header 127.0.0.1:${port}`,
  };
}
