import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock } from "../../lib/apiMock";
import type { MappingDocument } from "../../lib/generated/types";
import { nav } from "../../lib/stores/nav.svelte";
import { connectionView, mappingDocument, mappingPreview, summary } from "../testlogin/fixtures";
import { recordTestLogin } from "../../lib/stores/events.svelte";
import ConnectionDetail from "./ConnectionDetail.svelte";
import { clearMappingStates } from "./mappingState.svelte";

beforeEach(() => {
  resetApiMock();
  clearMappingStates();
  api.connection.mockResolvedValue(connectionView());
  api.mapping.mockResolvedValue(mappingDocument());
  api.listConnections.mockResolvedValue([]);
  api.previewMapping.mockResolvedValue(mappingPreview());
  api.presets.mockResolvedValue([]);
  api.testLogins.mockResolvedValue([]);
});

describe("ConnectionDetail", () => {
  test("shows the header and the selected tab; tabs navigate", async () => {
    render(ConnectionDetail, { name: "okta-prod", tab: "idp" });
    expect(await screen.findByText("http://www.okta.com/exk1abcd", { selector: ".entity" })).toBeTruthy();
    expect(api.connection).toHaveBeenCalledWith("okta-prod");
    expect(api.mapping).toHaveBeenCalledWith("okta-prod");
    await vi.waitFor(() => expect(screen.getByTestId("tab-security")).toBeTruthy());
    expect(screen.getByTestId("tab-idp").getAttribute("aria-selected")).toBe("true");
    await fireEvent.click(screen.getByTestId("tab-security"));
    expect(nav.view).toBe("connection");
    expect(nav.name).toBe("okta-prod");
    expect(nav.tab).toBe("security");
    await fireEvent.click(screen.getByTestId("header-test-login"));
    expect(nav.tab).toBe("test");
  });

  test("a test login of this connection refreshes the header's status", async () => {
    render(ConnectionDetail, { name: "okta-prod", tab: "idp" });
    await vi.waitFor(() => expect(api.listConnections).toHaveBeenCalledTimes(1));
    recordTestLogin(summary(1, "created", "other"));
    recordTestLogin(summary(2, "created", "okta-prod"));
    await vi.waitFor(() => expect(api.listConnections).toHaveBeenCalledTimes(2));
  });

  test("unsaved mapping edits survive tab switches and are flagged", async () => {
    api.setMapping.mockImplementation(async (_n: string, d: MappingDocument) => d);
    const { rerender } = render(ConnectionDetail, { name: "okta-prod", tab: "mapping" });
    const input = await screen.findByLabelText("Source of given_name: attribute name");
    await fireEvent.input(input, { target: { value: "givenName" } });
    await rerender({ name: "okta-prod", tab: "roles" });
    expect(await screen.findByText(/Unsaved changes in Attribute mapping/)).toBeTruthy();
    expect(screen.getByTestId("tab-mapping").textContent).toContain("unsaved");
    await rerender({ name: "okta-prod", tab: "mapping" });
    expect((screen.getByLabelText("Source of given_name: attribute name") as HTMLInputElement).value).toBe("givenName");
    await fireEvent.click(screen.getByTestId("save-mapping"));
    await vi.waitFor(() => expect(screen.queryByText(/Unsaved changes in/)).toBeNull());
    expect((api.setMapping.mock.calls[0][1] as MappingDocument).fields[1].source).toMatchObject({ name: "givenName" });
  });

  test("a load error is shown with retry", async () => {
    api.connection.mockRejectedValue(new Error("no connection named okta-prod"));
    render(ConnectionDetail, { name: "okta-prod", tab: "" });
    expect((await screen.findByRole("alert")).textContent).toContain("no connection named okta-prod");
    api.connection.mockResolvedValue(connectionView());
    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByText("http://www.okta.com/exk1abcd", { selector: ".entity" })).toBeTruthy();
  });
});
