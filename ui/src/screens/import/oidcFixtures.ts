// OpenID Connect fixtures for the component tests, shaped like the core's answers.
import type { ConnectionView, OidcDiscovery, OidcPreview, OidcView } from "../../lib/generated/types";
import { view } from "../testFixtures";

export const ISSUER = "https://acme.okta.com";
export const JWKS = '{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"}]}';
export const DISCOVERY = `{"issuer":"${ISSUER}"}`;

export function oidcPreview(over: Partial<OidcPreview> = {}): OidcPreview {
  return {
    issuer: ISSUER,
    discovery_url: `${ISSUER}/.well-known/openid-configuration`,
    authorization_endpoint: `${ISSUER}/oauth2/v1/authorize`,
    token_endpoint: `${ISSUER}/oauth2/v1/token`,
    userinfo_endpoint: `${ISSUER}/oauth2/v1/userinfo`,
    jwks_uri: `${ISSUER}/oauth2/v1/keys`,
    end_session_endpoint: null,
    signing_algs_offered: ["RS256", "HS256", "none"],
    allowed_algs: ["RS256"],
    token_endpoint_auth_methods: ["client_secret_basic", "client_secret_post"],
    client_auth: "client_secret_basic",
    scopes_supported: ["openid", "email", "profile", "groups"],
    notes: [],
    vendor: { id: "okta", label: "Okta", preset: true, oidc_preset: true },
    suggested_name: "okta",
    redirect_uris: ["http://127.0.0.1:7777/oidc/okta/callback", "http://localhost:7777/oidc/okta/callback"],
    ...over,
  };
}

export function discovery(over: Partial<OidcDiscovery> = {}): OidcDiscovery {
  return {
    typed_url: ISSUER,
    discovery_json: DISCOVERY,
    preview: oidcPreview(),
    jwks: { jwks_json: JWKS, keys: [{ kid: "k1", kty: "RSA", alg: "RS256", key_use: "sig" }] },
    jwks_error: null,
    ...over,
  };
}

export function oidcView(over: Partial<OidcView> = {}): OidcView {
  return {
    issuer: ISSUER,
    discovery_url: `${ISSUER}/.well-known/openid-configuration`,
    discovered_at: "2026-11-23T14:00:00Z",
    authorization_endpoint: `${ISSUER}/oauth2/v1/authorize`,
    token_endpoint: `${ISSUER}/oauth2/v1/token`,
    userinfo_endpoint: `${ISSUER}/oauth2/v1/userinfo`,
    jwks_uri: `${ISSUER}/oauth2/v1/keys`,
    jwks_fetched_at: "2026-11-23T14:00:00Z",
    jwks_kids: ["k1"],
    client_id: "0oa1client",
    client_auth: "client_secret_basic",
    scopes: ["openid", "email", "profile"],
    allowed_algs: ["RS256", "PS256", "ES256"],
    trusted_audiences: [],
    call_userinfo: true,
    redirect_host: "loopback",
    redirect_uri: "http://127.0.0.1:7777/oidc/okta/callback",
    redirect_uris: ["http://127.0.0.1:7777/oidc/okta/callback", "http://localhost:7777/oidc/okta/callback"],
    client_jwk: null,
    ...over,
  };
}

export function oidcConnection(name = "okta", over: Partial<OidcView> = {}): ConnectionView {
  const v = view(name);
  return {
    ...v,
    protocol: "oidc",
    idp_entity_id: ISSUER,
    sso: [],
    signing_certificates: [],
    certificate_expiry: [],
    metadata_source: `${ISSUER}/.well-known/openid-configuration`,
    oidc: oidcView(over),
  };
}
