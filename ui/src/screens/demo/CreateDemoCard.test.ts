import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock } from "../../lib/apiMock";
import type { ConnectionView, DemoIdpView, DemoSetup } from "../../lib/generated/types";
import { nav } from "../../lib/stores/nav.svelte";
import CreateDemoCard from "./CreateDemoCard.svelte";

beforeEach(() => resetApiMock());

describe("CreateDemoCard", () => {
  test("OpenID Connect creates demo-oidc at the demo OP and opens its Test login tab", async () => {
    api.createOidcDemo.mockResolvedValue({
      idp: {} as DemoIdpView,
      connection: { name: "demo-oidc", protocol: "oidc" } as ConnectionView,
      login_url: "http://127.0.0.1:8080/oidc/demo-oidc/login",
      created: true,
      metadata_refreshed: false,
    } satisfies DemoSetup);
    render(CreateDemoCard, { idpStyle: "entra" });
    expect(screen.getByTestId("demo-style")).toBeTruthy();
    await fireEvent.change(screen.getByTestId("demo-protocol"), { target: { value: "oidc" } });
    // The IdP style names SAML attributes: not asked for OIDC.
    expect(screen.queryByTestId("demo-style")).toBeNull();
    expect(screen.getByText("demo-oidc")).toBeTruthy();
    await fireEvent.click(screen.getByTestId("create-demo"));
    expect(api.createOidcDemo).toHaveBeenCalledTimes(1);
    expect(api.createDemo).not.toHaveBeenCalled();
    await waitFor(() => expect(nav.view).toBe("connection"));
    expect(nav.name).toBe("demo-oidc");
    expect(nav.tab).toBe("test");
  });
});
