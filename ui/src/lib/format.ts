// Display helpers: dates (local, short; ISO kept for titles), relative times, counts,
// certificate expiry (the verdict comes from the core; this only words it).
// Pure functions; `now` and `locale` are parameters so tests are deterministic.

import { CONNECTION_NAME_MAX_LEN, CONNECTION_NAME_PATTERN, type CertificateExpiry } from "./generated/types";

const NAME = new RegExp(CONNECTION_NAME_PATTERN);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function toDate(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "23 Nov 2026, 14:05" in local time; "—" for nothing; the input itself if unparsable. */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = toDate(value);
  if (!d) return String(value);
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "23 Nov 2026" in local time. */
export function formatDate(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = toDate(value);
  if (!d) return String(value);
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** The ISO string for a title attribute ("" when absent). */
export function isoTitle(value: string | Date | null | undefined): string {
  const d = toDate(value);
  return d ? d.toISOString() : "";
}

/** "just now", "3 min ago", "2 h ago", "5 d ago", "in 3 d"; past 30 days: the date. */
export function formatRelative(value: string | Date | null | undefined, now: Date = new Date()): string {
  const d = toDate(value);
  if (!d) return value ? String(value) : "—";
  const diff = Math.round((now.getTime() - d.getTime()) / 1000);
  const abs = Math.abs(diff);
  const future = diff < 0;
  const say = (n: number, unit: string) => (future ? `in ${n} ${unit}` : `${n} ${unit} ago`);
  if (abs < 45) return future ? "in a moment" : "just now";
  if (abs < 3600) return say(Math.max(1, Math.round(abs / 60)), "min");
  if (abs < 86400) return say(Math.round(abs / 3600), "h");
  if (abs < 30 * 86400) return say(Math.round(abs / 86400), "d");
  return formatDate(d);
}

/** "1 user", "3 users" (with a custom plural when needed). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** Pretty JSON for diffs; `null`/absent as "—". */
export function formatJson(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return JSON.stringify(value);
  return JSON.stringify(value, null, 2);
}

/** A `<input type="date">` value ("2026-11-23") as the RFC 3339 start of that local day. */
export function dateInputToRfc3339(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 0, 0, 0, 0);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** SAML binding URNs by their short names: "HTTP-Redirect", "HTTP-POST", "SOAP"... */
export function bindingName(binding: string): string {
  const known: Record<string, string> = {
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect": "HTTP-Redirect",
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST": "HTTP-POST",
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign": "HTTP-POST-SimpleSign",
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact": "HTTP-Artifact",
    "urn:oasis:names:tc:SAML:2.0:bindings:SOAP": "SOAP",
    "urn:oasis:names:tc:SAML:2.0:bindings:PAOS": "PAOS",
    "urn:mace:shibboleth:1.0:profiles:AuthnRequest": "Shibboleth 1.0",
  };
  if (known[binding]) return known[binding];
  const i = Math.max(binding.lastIndexOf(":"), binding.lastIndexOf("/"));
  return i >= 0 && i < binding.length - 1 ? binding.slice(i + 1) : binding;
}

/** The core's connection-name rule (generated from src/connection.rs), in the form's words. */
export function validateConnectionName(name: string): string | null {
  if (name.length === 0) return "Enter a name.";
  if (name.length > CONNECTION_NAME_MAX_LEN) return `Use at most ${CONNECTION_NAME_MAX_LEN} characters.`;
  if (!/^[A-Za-z0-9]/.test(name)) return "Start with a letter or a digit.";
  if (!NAME.test(name)) return "Use only letters, digits, '-', '_' and '.'.";
  return null;
}

/** Badge tone for a provisioning/audit outcome. */
export function outcomeTone(outcome: string): "ok" | "warn" | "bad" | "info" | "muted" {
  switch (outcome) {
    case "created":
      return "ok";
    case "updated":
    case "linked":
      return "info";
    case "denied":
      return "warn";
    case "rejected":
      return "bad";
    default:
      return "muted";
  }
}

/** The best name to show for a user. */
export function userLabel(u: {
  id: number;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  username: string | null;
  email: string | null;
}): string {
  if (u.display_name) return u.display_name;
  const full = [u.given_name, u.family_name].filter(Boolean).join(" ");
  return full || u.username || u.email || `User #${u.id}`;
}

/** Words for the core's certificate expiry verdict (`CertificateExpiry`): the rule itself
 *  (what counts as "soon") lives in the core, so every screen agrees. */
export function expiryText(e: CertificateExpiry): { tone: "ok" | "warn" | "bad"; short: string; long: string } {
  const d = e.days_left;
  switch (e.level) {
    case "expired": {
      const ago = Math.max(0, -d);
      return { tone: "bad", short: "Expired", long: ago === 0 ? "Expired today" : `Expired ${plural(ago, "day")} ago` };
    }
    case "not_yet_valid":
      return { tone: "warn", short: "Not valid yet", long: "Not valid yet" };
    case "soon":
      return { tone: "warn", short: `Expires in ${d} d`, long: `Expires in ${plural(d, "day")}` };
    default:
      return { tone: "ok", short: `Valid · ${d} d left`, long: `Valid for ${d} more days` };
  }
}
