// Plain-language explanations of the validation checks (src/validate/checks.rs), for admins
// who know their IdP console better than the SAML spec.
import type { CheckId, CheckStatus, DenialCode, LoginKind, Outcome, Stop } from "../../lib/generated/types";

export const CHECK_HELP: Record<CheckId, string> = {
  parse:
    "The ACS received a SAMLResponse that decodes (base64) to a well-formed samlp:Response XML document.",
  doctype:
    "The XML has no DOCTYPE: SAML never needs one, and it is how entity-expansion and external-fetch attacks start.",
  single_assertion:
    "There is exactly one Assertion (or EncryptedAssertion) directly inside the Response, and no other outside its Advice; extra or wrapped assertions are a signature-wrapping trick.",
  decrypt:
    "If the IdP encrypted the assertion or the NameID (EncryptedID), it decrypts with this connection's SP key: the IdP must encrypt with the certificate from our SP metadata.",
  algorithm:
    "The signature and digest algorithms are allowed (RSA-SHA256 or stronger; SHA-1 only if the security policy allows it).",
  signature:
    "The IdP's XML signature over the Assertion or the Response verifies with a signing certificate from the IdP metadata, so nothing was forged or changed.",
  status:
    "The Response's StatusCode is Success. An error status means the IdP refused the login only when a verified signature covers it; an unsigned error is shown as unauthenticated text.",
  issuer:
    "The Issuer of the Response and the Assertion is this IdP's entityID, exactly as in its metadata.",
  destination:
    "The Response is addressed to this SP's ACS URL, so it cannot be replayed to another application; a signed Response must name it.",
  subject_confirmation:
    "The assertion is a bearer assertion for this SP's ACS URL (Recipient) and its NotOnOrAfter has not passed.",
  time_window:
    "The assertion is valid now: between its Conditions NotBefore and NotOnOrAfter, allowing the configured clock skew.",
  audience:
    "The assertion's Audience must be this SP's entityID, exactly: it says which application the IdP issued it for.",
  in_response_to:
    "The response answers a login this SP started (InResponseTo), or it is unsolicited (IdP-initiated) and the policy allows that.",
  discovery:
    "The issuer in the OP's discovery document is exactly this connection's issuer (a multi-tenant /common document is refused: use the tenant's URL).",
  state:
    "The OP's redirect back carries the state of a login Handshake started and has not finished, and (if sent) an iss naming this OP.",
  token_response:
    "The OP's token endpoint exchanged the code for an ID token; an error such as invalid_client or invalid_grant is shown with the OP's description.",
  nonce:
    "The ID token's nonce is the one Handshake sent with this login, so the token was issued for this login and not replayed from another.",
  at_hash:
    "If the ID token carries at_hash or c_hash, they match the access token and the code that came with it, so neither was swapped.",
  userinfo_subject:
    "If the userinfo endpoint was called, it describes the same user (sub) as the ID token.",
};

/** What the shared checks mean for an OpenID Connect ID token (see `CheckId::oidc_title`). */
export const OIDC_CHECK_HELP: Partial<Record<CheckId, string>> = {
  parse: "The ID token is a compact JWS: three base64url parts, a JSON header and JSON claims, each member given once.",
  algorithm:
    "The token's alg is one the connection allows; none is never accepted, and HMAC (HS256) only with the client secret.",
  signature:
    "The token's signature verifies with the key of the OP's JWKS that its kid names (the JWKS is fetched again once for a new kid); keys in the token itself are ignored.",
  issuer: "The token's iss is this connection's issuer, exactly (a trailing slash matters).",
  audience:
    "The token's aud contains this connection's client ID; with several audiences, azp must be the client ID and the others trusted.",
  time_window: "The token is valid now: before exp, not before nbf, and not issued in the future, allowing the clock skew.",
};

/** Only OpenID Connect reports list these checks. */
const OIDC_ONLY: readonly string[] = ["discovery", "state", "token_response", "nonce", "at_hash", "userinfo_subject"];

export type Protocol = "saml" | "oidc";

/** The protocol of a report, from the checks it lists. */
export function protocolOf(ids: readonly string[]): Protocol {
  return ids.some((id) => OIDC_ONLY.includes(id)) ? "oidc" : "saml";
}

export function checkHelp(id: string, protocol: Protocol = "saml"): string | undefined {
  const oidc = protocol === "oidc" ? (OIDC_CHECK_HELP as Record<string, string>)[id] : undefined;
  return oidc ?? (CHECK_HELP as Record<string, string>)[id];
}

export const STATUS_LABEL: Record<CheckStatus, string> = { pass: "Pass", fail: "Fail", skip: "Skipped" };
export const STATUS_ICON: Record<CheckStatus, string> = { pass: "✓", fail: "✗", skip: "–" };
export const STATUS_BADGE: Record<CheckStatus, string> = { pass: "ok", fail: "bad", skip: "muted" };

export type Tone = "ok" | "warn" | "bad" | "info" | "muted";

export const OUTCOME: Record<Outcome, { label: string; tone: Tone; headline: string }> = {
  created: { label: "Created", tone: "ok", headline: "Signed in: a new user was created (JIT)" },
  updated: { label: "Updated", tone: "ok", headline: "Signed in: the user's record was updated" },
  unchanged: { label: "Unchanged", tone: "ok", headline: "Signed in: the user already existed and nothing changed" },
  linked: { label: "Linked", tone: "ok", headline: "Signed in: the login was linked to an existing account by email" },
  denied: { label: "Denied", tone: "warn", headline: "The response is valid, but provisioning refused the user" },
  rejected: { label: "Rejected", tone: "bad", headline: "The response was rejected" },
};

export function outcomeInfo(outcome: string): { label: string; tone: Tone; headline: string } {
  return (OUTCOME as Record<string, { label: string; tone: Tone; headline: string }>)[outcome] ?? {
    label: outcome,
    tone: "muted",
    headline: outcome,
  };
}

export const KIND_LABEL: Record<LoginKind, string> = {
  sp_initiated: "SP-initiated",
  idp_initiated: "IdP-initiated",
  unknown_request: "Unknown request",
};

/** Where in the app each provisioning rule is changed: the shell's half of a denial's hint
 *  (the core's message and hint name the concept; this names the tab or screen). */
export const DENIAL_WHERE: Partial<Record<DenialCode, string>> = {
  missing_subject: "Mapping tab: the subject source",
  missing_attribute: "Mapping tab",
  domain_not_allowed: "Roles and access tab: allowed email domains",
  missing_required_group: "Roles and access tab: required groups",
  denied_by_list: "Roles and access tab: deny list",
  no_role: "Roles and access tab: role rules",
  transient_subject: "Mapping tab: the subject source",
  deactivated: "Users screen: activate the account",
  email_in_use: "Provisioning tab: linking by email",
  link_domain_unverified: "Provisioning tab: verified domains",
  email_unverified: "Roles and access tab: require an email the IdP verified",
  jit_disabled: "Provisioning tab: JIT creation",
  scim_deprovisioned: "SCIM tab: the request log shows when the IdP deactivated or deleted this person",
  not_provisioned: "SCIM tab: lifecycle policy (JIT creates only users SCIM provisioned)",
};

export function denialWhere(stop: Stop | null | undefined): string | undefined {
  return stop ? (DENIAL_WHERE as Record<string, string>)[stop] : undefined;
}
