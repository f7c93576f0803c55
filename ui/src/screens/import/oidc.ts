// Pure helpers of the OpenID Connect import and detail tabs (tested in oidc.test.ts).
import type { CheckId, ClientAuth, Protocol, Vendor } from "../../lib/generated/types";

/** Checks only an OpenID Connect login has: a report with one of them is an ID token's. */
export const OIDC_ONLY_CHECKS: ReadonlySet<CheckId> = new Set<CheckId>([
  "discovery",
  "state",
  "token_response",
  "nonce",
  "at_hash",
  "userinfo_subject",
]);

/** A vendor's label for a connection of `protocol` (the generic one is not "SAML 2.0" for OIDC). */
export function vendorLabel(vendor: Pick<Vendor, "id" | "label">, protocol: Protocol): string {
  return protocol === "oidc" && vendor.id === "generic" ? "Generic OpenID Provider" : vendor.label;
}

export const DEFAULT_SCOPES = "openid email profile";

/** The client authentications Handshake can use, with what they mean. */
export const CLIENT_AUTHS: { id: ClientAuth; label: string; help: string }[] = [
  {
    id: "client_secret_basic",
    label: "client_secret_basic",
    help: "The client ID and secret in the token request's Authorization header (HTTP Basic). The OAuth default.",
  },
  {
    id: "client_secret_post",
    label: "client_secret_post",
    help: "The client ID and secret in the token request's form body, for an OP that accepts only that.",
  },
  {
    id: "none",
    label: "none (public client)",
    help: "No secret: PKCE alone binds the code to this login. Only for an app registered as a public client.",
  },
];

/** The client authentications to offer for what the OP lists (all three when it lists none). */
export function clientAuthChoices(offered: string[]) {
  if (offered.length === 0) return CLIENT_AUTHS;
  return CLIENT_AUTHS.filter((c) => offered.includes(c.id));
}

/** Scopes as typed (spaces or commas) to the list the core takes; `openid` kept first. */
export function parseScopes(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of text.split(/[\s,]+/)) {
    if (s && !seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** Why typed scopes cannot be saved, or null. */
export function scopesProblem(text: string): string | null {
  const list = parseScopes(text);
  if (!list.includes("openid")) return "Include openid: without it the OP sends no ID token.";
  return null;
}

/** The scopes a new connection starts with: the defaults, plus `groups` when the OP offers it. */
export function defaultScopes(supported: string[]): string {
  return supported.includes("groups") ? `${DEFAULT_SCOPES} groups` : DEFAULT_SCOPES;
}

/** The redirect URIs for another connection name (the preview's are for its suggested name). */
export function redirectUrisFor(uris: string[], previewName: string, name: string): string[] {
  if (!name || name === previewName) return uris;
  const from = `/oidc/${encodeURIComponent(previewName)}/callback`;
  const to = `/oidc/${encodeURIComponent(name)}/callback`;
  return uris.map((u) => (u.endsWith(from) ? u.slice(0, u.length - from.length) + to : u));
}

/** An http(s) URL, or why not. */
export function urlProblem(value: string, what: string, optional = false): string | null {
  const v = value.trim();
  if (!v) return optional ? null : `Enter the ${what}.`;
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:" ? null : "Use an http:// or https:// URL.";
  } catch {
    return "This is not a valid URL.";
  }
}

/** Where each vendor's admin console takes the redirect URI. */
export interface PasteGuide {
  vendor: string;
  label: string;
  where: string;
  /** Which of the two redirect URIs to give it. */
  host: "127.0.0.1" | "localhost";
  note?: string;
}

export const PASTE_GUIDES: PasteGuide[] = [
  {
    vendor: "entra",
    label: "Microsoft Entra ID",
    where: "App registrations › your app › Authentication › Add a platform › Web › Redirect URIs",
    host: "localhost",
    note: "Entra ID accepts plain http only for localhost: register the localhost URI and set the redirect host to localhost in the Security tab.",
  },
  { vendor: "okta", label: "Okta", where: "Applications › your OIDC app › General › Sign-in redirect URIs", host: "127.0.0.1" },
  {
    vendor: "google",
    label: "Google",
    where: "Google Cloud console › APIs & Services › Credentials › your OAuth client › Authorized redirect URIs",
    host: "127.0.0.1",
  },
  { vendor: "keycloak", label: "Keycloak", where: "Clients › your client › Settings › Valid redirect URIs", host: "127.0.0.1" },
  { vendor: "auth0", label: "Auth0", where: "Applications › your application › Settings › Allowed Callback URLs", host: "127.0.0.1" },
];

/** The guides, the detected vendor's first. */
export function guidesFor(vendor: Vendor | string | null): PasteGuide[] {
  const id = typeof vendor === "string" ? vendor : (vendor?.id ?? null);
  const first = PASTE_GUIDES.filter((g) => g.vendor === id);
  return [...first, ...PASTE_GUIDES.filter((g) => g.vendor !== id)];
}

/** The one of `uris` on `host` (127.0.0.1 or localhost). */
export function uriOnHost(uris: string[], host: string): string | null {
  return uris.find((u) => {
    try {
      return new URL(u).hostname === host;
    } catch {
      return false;
    }
  }) ?? null;
}
