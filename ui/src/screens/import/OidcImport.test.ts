import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, ApiError, resetApiMock } from "../../lib/apiMock";
import Import from "../Import.svelte";
import { nav } from "../../lib/stores/nav.svelte";
import { DISCOVERY, ISSUER, JWKS, discovery, oidcConnection, oidcPreview } from "./oidcFixtures";

beforeEach(() => {
  resetApiMock();
});

async function openOidc() {
  render(Import);
  await fireEvent.click(screen.getByTestId("protocol-oidc"));
  expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Add an OpenID Connect provider");
}

async function discover(url = ISSUER) {
  await fireEvent.input(screen.getByTestId("oidc-issuer-url"), { target: { value: url } });
  await fireEvent.click(screen.getByTestId("fetch-discovery"));
}

describe("OpenID Connect import", () => {
  test("the SAML import stays the default, unchanged", () => {
    render(Import);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Import IdP metadata");
    expect(screen.getByRole("tab", { name: "Paste XML" })).toBeTruthy();
    expect(screen.queryByTestId("oidc-issuer-url")).toBeNull();
  });

  test("an issuer is discovered, previewed with its keys, and saved; the secret is sent once and cleared", async () => {
    api.discoverOidc.mockResolvedValue(discovery());
    api.addOidcConnection.mockResolvedValue(oidcConnection("acme-okta"));
    await openOidc();
    await discover();
    await waitFor(() => expect(api.discoverOidc).toHaveBeenCalledWith(ISSUER, null, expect.stringMatching(/^op-/)));

    const summary = await screen.findByTestId("oidc-summary");
    expect(within(summary).getByTestId("issuer-check").textContent).toContain("Issuer check passed");
    expect(summary.textContent).toContain(`${ISSUER}/oauth2/v1/token`);
    expect(summary.textContent).toContain("Okta");
    // Offered algorithms: the allowed one marked, none and HS256 not.
    const algs = within(summary).getByTestId("oidc-algs");
    expect(within(algs).getByText("RS256").className).toContain("ok");
    expect(within(algs).getByText("none").className).toContain("muted");
    const keys = within(summary).getByTestId("jwks-keys");
    expect(keys.textContent).toContain("k1");
    expect(keys.textContent).toContain("RSA");
    expect(keys.textContent).toContain("RS256");

    const name = screen.getByTestId("oidc-name") as HTMLInputElement;
    expect(name.value).toBe("okta");
    expect((screen.getByTestId("oidc-scopes") as HTMLInputElement).value).toBe("openid email profile groups");
    await fireEvent.input(name, { target: { value: "acme-okta" } });
    // The redirect URIs follow the name; the Okta guide comes first.
    expect(screen.getByTestId("redirect-uri-0").textContent).toBe("http://127.0.0.1:7777/oidc/acme-okta/callback");
    expect(screen.getByTestId("paste-guides").firstElementChild?.textContent).toContain("Sign-in redirect URIs");

    const secret = screen.getByTestId("oidc-client-secret") as HTMLInputElement;
    expect(secret.type).toBe("password");
    await fireEvent.input(screen.getByTestId("oidc-client-id"), { target: { value: "0oa1client" } });
    await fireEvent.input(secret, { target: { value: "s3cret" } });
    await fireEvent.click(screen.getByTestId("save-oidc-connection"));
    await waitFor(() => expect(api.addOidcConnection).toHaveBeenCalledTimes(1));
    expect(api.addOidcConnection).toHaveBeenCalledWith({
      name: "acme-okta",
      client_id: "0oa1client",
      client_secret: "s3cret",
      client_auth: "client_secret_basic",
      scopes: ["openid", "email", "profile", "groups"],
      typed_url: ISSUER,
      discovery_json: DISCOVERY,
      manual: null,
      jwks_json: JWKS,
    });
    await waitFor(() => expect(nav.view).toBe("connection"));
    expect(nav.name).toBe("acme-okta");
    expect(nav.tab).toBe("sp");
  });

  test("a confidential client needs its secret; a public client sends none", async () => {
    api.discoverOidc.mockResolvedValue(discovery({ preview: oidcPreview({ token_endpoint_auth_methods: [] }) }));
    api.addOidcConnection.mockResolvedValue(oidcConnection("okta"));
    await openOidc();
    await discover();
    await screen.findByTestId("oidc-summary");
    await fireEvent.input(screen.getByTestId("oidc-client-id"), { target: { value: "spa" } });
    await fireEvent.click(screen.getByTestId("save-oidc-connection"));
    expect(await screen.findByText(/Enter the client secret/)).toBeTruthy();
    expect(api.addOidcConnection).not.toHaveBeenCalled();
    await fireEvent.change(screen.getByTestId("oidc-client-auth"), { target: { value: "none" } });
    await fireEvent.click(screen.getByTestId("save-oidc-connection"));
    await waitFor(() => expect(api.addOidcConnection).toHaveBeenCalledTimes(1));
    expect(api.addOidcConnection.mock.calls[0][0]).toMatchObject({ client_auth: "none", client_secret: null });
  });

  test("the discovery fetch can be cancelled; a refused document shows the core's error", async () => {
    let reject: (e: unknown) => void = () => {};
    api.discoverOidc.mockReturnValue(new Promise((_, r) => (reject = r)));
    api.cancel.mockResolvedValue(true);
    await openOidc();
    await discover();
    await fireEvent.click(await screen.findByTestId("cancel-discovery"));
    expect(api.cancel).toHaveBeenCalledWith(api.discoverOidc.mock.calls[0][2]);
    reject(new ApiError("cancelled", "cancelled"));
    expect(await screen.findByText("Fetch cancelled.")).toBeTruthy();

    api.discoverOidc.mockRejectedValue(
      new ApiError("invalid_metadata", "the document's issuer is https://other.example", "issuer_mismatch", "Type the issuer exactly."),
    );
    await fireEvent.click(screen.getByTestId("fetch-discovery"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("issuer_mismatch");
    expect(screen.queryByTestId("oidc-summary")).toBeNull();
  });

  test("endpoints typed by hand, with keys fetched on demand", async () => {
    api.fetchJwks.mockResolvedValue({ jwks_json: JWKS, keys: [{ kid: "k1", kty: "RSA", alg: "RS256", key_use: "sig" }] });
    api.addOidcConnection.mockResolvedValue(oidcConnection("manual-op"));
    await openOidc();
    await fireEvent.click(screen.getByRole("tab", { name: "Endpoints by hand" }));
    const manual = screen.getByTestId("oidc-manual");
    const set = async (label: string, value: string) =>
      fireEvent.input(within(manual).getByLabelText(label), { target: { value } });
    await set("Issuer", "https://op.example");
    await set("Authorization endpoint", "https://op.example/authorize");
    await set("Token endpoint", "https://op.example/token");
    await set("JWKS URI", "https://op.example/jwks");
    await fireEvent.click(within(manual).getByRole("button", { name: "Fetch keys" }));
    await waitFor(() => expect(api.fetchJwks).toHaveBeenCalledWith("https://op.example/jwks", expect.any(String)));
    expect((await within(manual).findByTestId("jwks-keys")).textContent).toContain("k1");
    await fireEvent.input(screen.getByTestId("oidc-name"), { target: { value: "manual-op" } });
    await fireEvent.input(screen.getByTestId("oidc-client-id"), { target: { value: "cid" } });
    await fireEvent.input(screen.getByTestId("oidc-client-secret"), { target: { value: "sec" } });
    await fireEvent.click(screen.getByTestId("save-oidc-connection"));
    await waitFor(() => expect(api.addOidcConnection).toHaveBeenCalledTimes(1));
    expect(api.addOidcConnection.mock.calls[0][0]).toMatchObject({
      name: "manual-op",
      typed_url: null,
      discovery_json: null,
      manual: {
        issuer: "https://op.example",
        authorization_endpoint: "https://op.example/authorize",
        token_endpoint: "https://op.example/token",
        jwks_uri: "https://op.example/jwks",
        userinfo_endpoint: null,
      },
      jwks_json: JWKS,
    });
  });
});
