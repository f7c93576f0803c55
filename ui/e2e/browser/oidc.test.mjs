// OpenID Connect connections in the browser with the fake IPC: the import (issuer URL,
// discovery preview with keys, client and secret, save), and an OIDC connection's detail
// tabs (IdP with cached keys and re-discover, SP with redirect URIs and paste guides,
// Security with the OIDC settings and the secret). The SAML screens' own tests stay as
// they are (import.test.mjs, detail.test.mjs).
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";
import { openConnection, seeText, serveApp, waitForCall } from "./app.mjs";

const ISSUER = "http://127.0.0.1:7777/demo-idp/oidc";
const JWKS = '{"keys":[{"kty":"RSA","kid":"demo-k1","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"}]}';
const KEYS = [{ kid: "demo-k1", kty: "RSA", alg: "RS256", key_use: "sig" }];
const NAME = "okta-oidc";

const preview = (name = "okta") => ({
  issuer: ISSUER,
  discovery_url: `${ISSUER}/.well-known/openid-configuration`,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  userinfo_endpoint: `${ISSUER}/userinfo`,
  jwks_uri: `${ISSUER}/jwks`,
  end_session_endpoint: null,
  signing_algs_offered: ["RS256", "none"],
  allowed_algs: ["RS256"],
  token_endpoint_auth_methods: ["client_secret_basic", "client_secret_post"],
  client_auth: "client_secret_basic",
  scopes_supported: ["openid", "email", "profile", "groups"],
  notes: [],
  vendor: { id: "okta", label: "Okta", preset: true, oidc_preset: true },
  suggested_name: name,
  redirect_uris: [`http://127.0.0.1:7777/oidc/${name}/callback`, `http://localhost:7777/oidc/${name}/callback`],
});

/** An OIDC connection's view, from the SAML snapshot's shape. */
function oidcView(backend, name = NAME) {
  const v = backend.snapshot("connection_acme");
  return {
    ...v,
    name,
    protocol: "oidc",
    idp_entity_id: ISSUER,
    sso: [],
    slo: [],
    signing_certificates: [],
    certificate_expiry: [],
    metadata_source: `${ISSUER}/.well-known/openid-configuration`,
    oidc: {
      issuer: ISSUER,
      discovery_url: `${ISSUER}/.well-known/openid-configuration`,
      discovered_at: "2026-11-23T14:00:00Z",
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      jwks_uri: `${ISSUER}/jwks`,
      jwks_fetched_at: "2026-11-23T14:00:00Z",
      jwks_kids: ["demo-k1"],
      client_id: "0oa1client",
      client_auth: "client_secret_basic",
      scopes: ["openid", "email", "profile"],
      allowed_algs: ["RS256", "PS256", "ES256"],
      trusted_audiences: [],
      call_userinfo: true,
      redirect_host: "loopback",
      redirect_uri: `http://127.0.0.1:7777/oidc/${name}/callback`,
      redirect_uris: [`http://127.0.0.1:7777/oidc/${name}/callback`, `http://localhost:7777/oidc/${name}/callback`],
    },
  };
}

/** The app with one OIDC connection next to the snapshot's SAML ones. */
function serveOidc(backend) {
  const state = serveApp(backend);
  const base = state.connections[0];
  state.connections = [
    ...state.connections,
    { ...base, name: NAME, protocol: "oidc", idp_entity_id: ISSUER, vendor: preview().vendor, certificate: null, user_count: 0 },
  ];
  state.oidc = { [NAME]: oidcView(backend) };
  const saml = {
    connection: backend.handlers.get("connection"),
    mapping: backend.handlers.get("mapping"),
    preview_mapping: backend.handlers.get("preview_mapping"),
  };
  backend.on("connection", (args, b) => state.oidc[args.name] ?? saml.connection(args, b));
  backend.on("mapping", (args, b) => (state.oidc[args.name] ? b.snapshot("mapping_acme") : saml.mapping(args, b)));
  backend.on("preview_mapping", (args, b) =>
    state.oidc[args.name] ? b.snapshot("mapping_preview_none") : saml.preview_mapping(args, b),
  );
  backend.on("oidc_presets", (_, b) => b.snapshot("presets"));
  backend.reply("oidc_jwks_keys", KEYS);
  return state;
}

export async function oidc_import_discovers_previews_and_saves_with_the_secret_sent_once(page, backend) {
  const state = serveOidc(backend);
  backend.on("discover_oidc", () => ({
    typed_url: ISSUER,
    discovery_json: `{"issuer":"${ISSUER}"}`,
    preview: preview(),
    jwks: { jwks_json: JWKS, keys: KEYS },
    jwks_error: null,
  }));
  backend.on("add_oidc_connection", ({ request }) => {
    state.oidc[request.name] = oidcView(backend, request.name);
    state.connections = [...state.connections, { ...state.connections.at(-1), name: request.name }];
    return state.oidc[request.name];
  });
  await openApp(page);
  await page.getByRole("button", { name: "+ Import metadata" }).click();
  await page.getByTestId("protocol-oidc").check();
  await page.getByRole("heading", { level: 1, name: "Add an OpenID Connect provider" }).waitFor();
  await page.getByRole("textbox", { name: "Issuer URL" }).fill(ISSUER);
  await page.getByTestId("fetch-discovery").click();
  const { url, name, operation } = await waitForCall(backend, "discover_oidc");
  assert.deepEqual([url, name], [ISSUER, null]);
  assert.match(operation, /^op-/);

  const summary = page.getByTestId("oidc-summary");
  await seeText(summary, "Issuer check passed");
  await seeText(summary, `${ISSUER}/token`);
  await seeText(summary.getByTestId("jwks-keys"), "demo-k1");
  await seeText(summary.getByTestId("oidc-algs"), "Allowed: RS256. Never none.");
  assert.equal(await page.getByTestId("oidc-name").inputValue(), "okta");
  await page.getByTestId("oidc-name").fill("acme-oidc");
  await seeText(page.getByTestId("redirect-uri-0"), "http://127.0.0.1:7777/oidc/acme-oidc/callback");
  await seeText(page.getByTestId("paste-guides"), "Okta: Applications › your OIDC app › General › Sign-in redirect URIs");

  await page.getByTestId("oidc-client-id").fill("0oa1client");
  const secret = page.getByTestId("oidc-client-secret");
  assert.equal(await secret.getAttribute("type"), "password");
  await secret.fill("s3cret");
  await page.getByTestId("save-oidc-connection").click();
  const { request } = await waitForCall(backend, "add_oidc_connection");
  assert.deepEqual(request, {
    name: "acme-oidc",
    client_id: "0oa1client",
    client_secret: "s3cret",
    client_auth: "client_secret_basic",
    scopes: ["openid", "email", "profile", "groups"],
    typed_url: ISSUER,
    discovery_json: `{"issuer":"${ISSUER}"}`,
    manual: null,
    jwks_json: JWKS,
  });
  // Saved: the SP tab says what to register.
  await page.getByRole("heading", { level: 1, name: "acme-oidc" }).waitFor();
  const panel = page.getByRole("tabpanel", { name: "Service provider" });
  await seeText(panel.getByTestId("redirect-uri-0"), "http://127.0.0.1:7777/oidc/acme-oidc/callback");
}

export async function oidc_connection_tabs_show_keys_redirect_uris_and_oidc_settings(page, backend) {
  const state = serveOidc(backend);
  backend.on("rediscover_preview", () => ({
    url: `${ISSUER}/.well-known/openid-configuration`,
    discovery_json: "{}",
    changes: [{ field: "jwks_uri", before: `${ISSUER}/jwks`, after: `${ISSUER}/keys` }],
    jwks: { jwks_json: JWKS, keys: KEYS },
    jwks_error: null,
  }));
  backend.on("replace_discovery", ({ name }) => state.oidc[name]);
  backend.on("set_oidc_settings", ({ name, change }) => {
    const v = structuredClone(state.oidc[name]);
    if (change.redirect_host) v.oidc.redirect_host = change.redirect_host;
    state.oidc[name] = v;
    return v;
  });
  await openApp(page);
  // The list tells the protocols apart.
  const row = page.locator(`tr[data-connection="${NAME}"]`);
  await seeText(row.getByTestId("protocol"), "OIDC");
  await seeText(page.locator('tr[data-connection="acme"]').getByTestId("protocol"), "SAML");

  await openConnection(page, NAME, "Identity provider");
  await seeText(page.getByTestId("connection-detail"), `Issuer ${ISSUER}`);
  const idp = page.getByRole("tabpanel", { name: "Identity provider" });
  await seeText(idp.getByTestId("oidc-endpoints"), `${ISSUER}/authorize`);
  await seeText(idp.getByTestId("jwks-keys"), "demo-k1 RSA RS256 sig");
  await idp.getByTestId("rediscover").click();
  await seeText(idp.getByTestId("rediscover-preview"), `jwks_uri ${ISSUER}/jwks ${ISSUER}/keys`);
  await idp.getByTestId("apply-rediscover").click();
  const applied = await waitForCall(backend, "replace_discovery");
  assert.deepEqual(applied, { name: NAME, discovery_json: "{}", jwks_json: JWKS });

  await page.getByRole("tab", { name: "Service provider" }).click();
  const sp = page.getByRole("tabpanel", { name: "Service provider" });
  await seeText(sp.getByTestId("paste-guides"), "Microsoft Entra ID: App registrations › your app › Authentication");
  await sp.getByRole("button", { name: "Copy redirect URI" }).first().click();
  await seeText(sp.getByText("✓ Copied"), "Copied");
  assert.equal(state.clipboard, `http://127.0.0.1:7777/oidc/${NAME}/callback`);

  await page.getByRole("tab", { name: "Security" }).click();
  const security = page.getByRole("tabpanel", { name: "Security" });
  await security.getByTestId("oidc-security-form").waitFor();
  assert.equal(await security.getByText("Require an encrypted assertion").count(), 0, "no SAML-only setting");
  await security.getByRole("radio", { name: /^localhost/ }).check();
  await security.getByTestId("save-oidc-settings").click();
  const { change } = await waitForCall(backend, "set_oidc_settings");
  assert.equal(change.redirect_host, "localhost");
  assert.equal(change.allowed_algs, null, "only what changed is sent");
}
