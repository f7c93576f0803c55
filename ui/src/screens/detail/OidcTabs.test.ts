import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
const clipboard = vi.hoisted(() => ({ writeText: vi.fn() }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => clipboard);
import { api, ApiError, resetApiMock } from "../../lib/apiMock";
import type { RediscoverPreview } from "../../lib/generated/types";
import { ISSUER, JWKS, oidcConnection } from "../import/oidcFixtures";
import OidcIdpTab from "./OidcIdpTab.svelte";
import OidcSecurityTab from "./OidcSecurityTab.svelte";
import OidcSpTab from "./OidcSpTab.svelte";

beforeEach(() => {
  resetApiMock();
  clipboard.writeText.mockReset();
  api.oidcJwksKeys.mockResolvedValue([{ kid: "k1", kty: "RSA", alg: "RS256", key_use: "sig" }]);
});

const rediscovered: RediscoverPreview = {
  url: `${ISSUER}/.well-known/openid-configuration`,
  discovery_json: "{}",
  changes: [{ field: "token_endpoint", before: `${ISSUER}/oauth2/v1/token`, after: `${ISSUER}/oauth2/v2/token` }],
  jwks: { jwks_json: JWKS, keys: [{ kid: "k2", kty: "RSA", alg: "RS256", key_use: "sig" }] },
  jwks_error: null,
};

describe("OIDC IdP tab", () => {
  test("shows the issuer, endpoints and cached keys; re-discover shows the diff and applies it", async () => {
    const conn = oidcConnection();
    api.rediscoverPreview.mockResolvedValue(rediscovered);
    api.replaceDiscovery.mockResolvedValue(conn);
    const onchange = vi.fn();
    render(OidcIdpTab, { conn, oidc: conn.oidc!, onchange });
    const endpoints = screen.getByTestId("oidc-endpoints");
    expect(endpoints.textContent).toContain(ISSUER);
    expect(endpoints.textContent).toContain(`${ISSUER}/oauth2/v1/keys`);
    await waitFor(() => expect(screen.getByTestId("jwks-keys").textContent).toContain("k1"));
    expect(screen.getByTestId("jwks-keys").textContent).toContain("RS256");

    await fireEvent.click(screen.getByTestId("rediscover"));
    const diff = await screen.findByTestId("rediscover-preview");
    expect(diff.textContent).toContain("token_endpoint");
    expect(diff.textContent).toContain(`${ISSUER}/oauth2/v2/token`);
    expect(diff.textContent).toContain("k2");
    await fireEvent.click(screen.getByTestId("apply-rediscover"));
    expect(api.replaceDiscovery).toHaveBeenCalledWith("okta", "{}", JWKS);
    await waitFor(() => expect(onchange).toHaveBeenCalledWith(conn));
    expect(screen.queryByTestId("rediscover-preview")).toBeNull();
  });

  test("re-discover can be cancelled", async () => {
    const conn = oidcConnection();
    let reject: (e: unknown) => void = () => {};
    api.rediscoverPreview.mockReturnValue(new Promise((_, r) => (reject = r)));
    api.cancel.mockResolvedValue(true);
    render(OidcIdpTab, { conn, oidc: conn.oidc!, onchange: vi.fn() });
    await fireEvent.click(screen.getByTestId("rediscover"));
    await fireEvent.click(await screen.findByTestId("cancel-rediscover"));
    expect(api.cancel).toHaveBeenCalledWith(api.rediscoverPreview.mock.calls[0][1]);
    reject(new ApiError("cancelled", "cancelled"));
    expect(await screen.findByText(/Re-discover cancelled/)).toBeTruthy();
  });
});

describe("OIDC SP tab", () => {
  test("lists both redirect URIs with copy buttons and where each vendor takes them", async () => {
    const conn = oidcConnection("entra-app", {
      redirect_host: "localhost",
      redirect_uri: "http://localhost:7777/oidc/entra-app/callback",
      redirect_uris: ["http://localhost:7777/oidc/entra-app/callback", "http://127.0.0.1:7777/oidc/entra-app/callback"],
    });
    render(OidcSpTab, { conn, oidc: conn.oidc!, vendor: "entra" });
    const uris = screen.getByTestId("redirect-uris");
    expect(screen.getByTestId("redirect-uri-0").textContent).toBe("http://localhost:7777/oidc/entra-app/callback");
    expect(uris.textContent).toContain("Used by this connection's test logins.");
    const guides = within(uris).getByTestId("paste-guides");
    const first = guides.firstElementChild!.textContent!;
    expect(first).toContain("Microsoft Entra ID");
    expect(first).toContain("App registrations › your app › Authentication");
    expect(first).toContain("http://localhost:7777/oidc/entra-app/callback");
    for (const where of ["Sign-in redirect URIs", "Authorized redirect URIs", "Valid redirect URIs", "Allowed Callback URLs"]) {
      expect(guides.textContent).toContain(where);
    }
    clipboard.writeText.mockResolvedValue(undefined);
    const w = window as unknown as Record<string, unknown>;
    w.__TAURI_INTERNALS__ = {}; // in the app: the one clipboard helper writes through the plugin
    await fireEvent.click(within(uris).getAllByRole("button", { name: "Copy redirect URI" })[0]);
    await waitFor(() => expect(clipboard.writeText).toHaveBeenCalledWith("http://localhost:7777/oidc/entra-app/callback"));
    delete w.__TAURI_INTERNALS__;
  });
});

describe("OIDC SP tab, private_key_jwt", () => {
  test("shows the public JWK to register only when the client signs assertions", async () => {
    const jwk = { kty: "RSA", n: "0vx7agoebGcQ", e: "AQAB", kid: "NzbLsXh8uDCcd", use: "sig", alg: "RS256" };
    const plain = oidcConnection("okta");
    const { unmount } = render(OidcSpTab, { conn: plain, oidc: plain.oidc!, vendor: "okta" });
    expect(screen.queryByTestId("oidc-client-jwk")).toBeNull();
    unmount();
    const signed = oidcConnection("okta", { client_auth: "private_key_jwt", client_jwk: jwk });
    render(OidcSpTab, { conn: signed, oidc: signed.oidc!, vendor: "okta" });
    const card = screen.getByTestId("oidc-client-jwk");
    expect(card.textContent).toContain("NzbLsXh8uDCcd");
    expect(card.textContent).not.toContain("\"d\"");
    clipboard.writeText.mockResolvedValue(undefined);
    const w = window as unknown as Record<string, unknown>;
    w.__TAURI_INTERNALS__ = {};
    await fireEvent.click(within(card).getByRole("button", { name: "Copy public JWK" }));
    await waitFor(() => expect(clipboard.writeText).toHaveBeenCalledWith(JSON.stringify(jwk)));
    delete w.__TAURI_INTERNALS__;
  });
});

describe("OIDC Security tab", () => {
  test("sends only what changed; none is not an algorithm to tick", async () => {
    const conn = oidcConnection();
    api.setOidcSettings.mockResolvedValue(conn);
    render(OidcSecurityTab, { conn, oidc: conn.oidc!, onchange: vi.fn() });
    const algs = screen.getByTestId("oidc-algs");
    expect(within(algs).getAllByRole("checkbox")).toHaveLength(11);
    expect(within(algs).queryByRole("checkbox", { name: "none" })).toBeNull();
    expect(screen.queryByText(/Signed AuthnRequests|Require an encrypted assertion/)).toBeNull();
    await fireEvent.click(within(algs).getByText("ES256"));
    await fireEvent.click(screen.getByTestId("oidc-userinfo").querySelector("input") ?? screen.getByLabelText(/Call userinfo/));
    await fireEvent.click(screen.getByLabelText(/localhost/));
    await fireEvent.input(screen.getByLabelText("Clock skew (seconds)"), { target: { value: "30" } });
    await fireEvent.click(screen.getByTestId("save-oidc-settings"));
    await waitFor(() => expect(api.setOidcSettings).toHaveBeenCalledTimes(1));
    expect(api.setOidcSettings).toHaveBeenCalledWith("okta", {
      client_id: null,
      client_auth: null,
      scopes: null,
      allowed_algs: ["RS256", "PS256"],
      trusted_audiences: null,
      call_userinfo: false,
      redirect_host: "localhost",
      clock_skew_seconds: 30,
    });
  });

  test("the client secret is a password field, sent to the secret store and cleared", async () => {
    const conn = oidcConnection();
    api.setOidcClientSecret.mockResolvedValue(conn);
    render(OidcSecurityTab, { conn, oidc: conn.oidc!, onchange: vi.fn() });
    const box = screen.getByTestId("oidc-secret");
    expect(box.textContent).toContain("A client secret is stored");
    const input = screen.getByTestId("oidc-secret-input") as HTMLInputElement;
    expect(input.type).toBe("password");
    await fireEvent.input(input, { target: { value: "n3w" } });
    await fireEvent.click(screen.getByTestId("set-oidc-secret"));
    await waitFor(() => expect(api.setOidcClientSecret).toHaveBeenCalledWith("okta", "n3w"));
    await waitFor(() => expect(input.value).toBe(""));
  });
});
