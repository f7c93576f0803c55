// The audit log's three kinds of rows as the app shows them: a login (its outcome), an
// admin's change (who, which action, and a diff read as plain values), or a SCIM client's
// change (which action, the account's diff, and the redacted request).
import type { AdminAction, AuditEntry, AuditKind, ScimAction } from "./generated/types";
import type { Tone } from "./components/Badge.svelte";
import { outcomeTone } from "./format";

/** Every admin action, in the core's order, with the words the log shows. */
export const ADMIN_ACTIONS: Record<AdminAction, string> = {
  connection_import: "Connection imported",
  connection_duplicate: "Connection copied",
  connection_reimport: "Metadata re-imported",
  connection_remove: "Connection removed",
  mapping_change: "Mapping changed",
  policy_change: "Security policy changed",
  sp_urls_change: "SP URLs changed",
  sp_key_rotate: "SP key rotated",
  sp_key_replace: "SP key replaced",
  oidc_settings_change: "OIDC settings changed",
  oidc_secret_change: "OIDC client secret changed",
  scim_enable: "SCIM endpoint turned on",
  scim_disable: "SCIM endpoint turned off",
  scim_token_rotate: "SCIM token rotated",
  user_activate: "User activated",
  user_deactivate: "User deactivated",
  user_delete: "User deleted",
  demo_reset: "Demo data reset",
  lifecycle_change: "Lifecycle policy changed",
};

export const AUDIT_KINDS: { value: AuditKind; label: string }[] = [
  { value: "login", label: "Logins" },
  { value: "admin", label: "Admin actions" },
  { value: "scim", label: "SCIM changes" },
];

/** A SCIM client's change, in words. */
export const SCIM_ACTIONS: Record<ScimAction, string> = {
  scim_create_user: "SCIM: user created",
  scim_adopt: "SCIM: JIT account adopted",
  scim_replace_user: "SCIM: user replaced",
  scim_patch_user: "SCIM: user changed",
  scim_deactivate_user: "SCIM: user deactivated",
  scim_delete_user: "SCIM: user deleted",
  scim_create_group: "SCIM: group created",
  scim_replace_group: "SCIM: group replaced",
  scim_patch_group: "SCIM: group changed",
  scim_delete_group: "SCIM: group deleted",
};

/** What a row records, as a badge: the login's outcome, or the admin's action. */
export function auditWhat(e: AuditEntry): { tone: Tone; text: string } {
  if (e.kind === "admin") return { tone: "info", text: e.action ? ADMIN_ACTIONS[e.action] : "Admin action" };
  if (e.kind === "scim") {
    const a = e.scim_action;
    const tone: Tone = a === "scim_deactivate_user" || a === "scim_delete_user" ? "warn" : "info";
    return { tone, text: a ? SCIM_ACTIONS[a] : "SCIM change" };
  }
  return { tone: outcomeTone(e.outcome ?? ""), text: e.outcome ?? "—" };
}

/** Who a row is about: the admin (OS user) who made the change, or the login's subject. */
export function auditWho(e: AuditEntry): string {
  if (e.kind === "admin") return e.actor ?? "unknown";
  return e.subject ?? (e.kind === "scim" ? "SCIM client" : "—");
}

/**
 * A diff value as an admin reads it: nothing as "—", text as itself (no quotes), a list of
 * texts one per line, anything else as indented JSON.
 */
export function plainValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value === "" ? '""' : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.length ? value.join("\n") : "(none)";
  return JSON.stringify(value, null, 2);
}
