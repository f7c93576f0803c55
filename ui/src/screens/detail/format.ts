// Small display helpers shared by the connection detail tabs and the test-login screen.

/** A timestamp for people: local date and time, or "—". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A date without the time. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** "HTTP-Redirect" for `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect`. */
export function bindingShort(binding: string): string {
  const m = /bindings:([^:]+)$/.exec(binding);
  return m ? m[1] : binding;
}

/** "emailAddress" for `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`. */
export function nameIdFormatShort(format: string | null | undefined): string {
  if (!format) return "—";
  const m = /nameid-format:([^:]+)$/.exec(format);
  return m ? m[1] : format;
}

/** A PEM certificate from the base64 DER, with 64-character lines. */
export function pemFromDer(derBase64: string): string {
  const body = derBase64.replace(/\s+/g, "").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${body.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** Whether a metadata source can be fetched again. */
export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** A stable deep copy of plain data (mapping documents, policies). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Structural equality for plain data. */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
