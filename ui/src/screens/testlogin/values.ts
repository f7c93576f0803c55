// Rendering of claim and field values so that what the admin sees is exactly what arrived.

/** A value in quotes with invisible characters made visible ("Ada " keeps its space). */
export function quoted(v: string): string {
  return JSON.stringify(v);
}

/** A JSON value from a diff (null, string, list, number...) as one line. */
export function jsonText(v: unknown): string {
  if (v === null || v === undefined) return "(empty)";
  if (typeof v === "string") return v === "" ? "(empty)" : v;
  if (Array.isArray(v)) return v.length === 0 ? "(none)" : v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(", ");
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length === 0 ? "(none)" : entries.map(([k, x]) => `${k}=${typeof x === "string" ? x : JSON.stringify(x)}`).join(", ");
  }
  return String(v);
}

/** Labels for user record fields. */
export const FIELD_LABEL: Record<string, string> = {
  email: "Email",
  username: "Username",
  given_name: "Given name",
  family_name: "Family name",
  display_name: "Display name",
  groups: "Groups",
  roles: "Roles",
  custom: "Custom fields",
  status: "Status",
  subject: "Subject",
};

export function fieldLabel(field: string): string {
  if (FIELD_LABEL[field]) return FIELD_LABEL[field];
  if (field.startsWith("custom.")) return `${field.slice(7)} (custom)`;
  return field;
}
