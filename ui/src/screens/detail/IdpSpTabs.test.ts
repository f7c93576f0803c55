import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
const dialog = vi.hoisted(() => ({ save: vi.fn() }));
vi.mock("@tauri-apps/plugin-dialog", () => dialog);
import { api, ApiError, resetApiMock } from "../../lib/apiMock";
import type { ReimportPreview } from "../../lib/generated/types";
import { connectionView } from "../testlogin/fixtures";
import IdpTab from "./IdpTab.svelte";
import SpTab from "./SpTab.svelte";
import { pemFromDer } from "./format";

beforeEach(() => {
  resetApiMock();
  dialog.save.mockReset();
});

const preview: ReimportPreview = {
  url: "https://acme.okta.com/app/exk1abcd/sso/saml/metadata",
  metadata_xml: "<EntityDescriptor/>",
  changes: [{ field: "signing certificates", before: "AB:CD:EF:01", after: "AB:CD:EF:01\n99:88:77:66" }],
  warnings: [{ code: "no_slo", message: "the IdP lists no SingleLogoutService" }],
};

describe("IdpTab", () => {
  test("re-import shows the diff and applies it", async () => {
    api.reimportPreview.mockResolvedValue(preview);
    api.replaceMetadata.mockResolvedValue(connectionView());
    const onchange = vi.fn();
    render(IdpTab, { conn: connectionView(), onchange });
    expect(screen.getByText("AB:CD:EF:01")).toBeTruthy();
    await fireEvent.click(screen.getByTestId("reimport"));
    const diff = await screen.findByTestId("reimport-preview");
    expect(diff.textContent).toContain("99:88:77:66");
    expect(diff.textContent).toContain("the IdP lists no SingleLogoutService");
    await fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(api.replaceMetadata).toHaveBeenCalledWith("okta-prod", "<EntityDescriptor/>", preview.url);
    await vi.waitFor(() => expect(onchange).toHaveBeenCalled());
    expect(screen.queryByTestId("reimport-preview")).toBeNull();
  });

  test("no changes, and cancel is neutral", async () => {
    api.reimportPreview.mockResolvedValueOnce({ ...preview, changes: [], warnings: [] });
    render(IdpTab, { conn: connectionView(), onchange: vi.fn() });
    await fireEvent.click(screen.getByTestId("reimport"));
    expect(await screen.findByText(/No changes/)).toBeTruthy();

    let reject: (e: unknown) => void = () => {};
    api.reimportPreview.mockImplementationOnce(() => new Promise((_, r) => (reject = r)));
    api.cancel.mockImplementation(async () => {
      reject(new ApiError("cancelled", "cancelled"));
      return true;
    });
    await fireEvent.click(screen.getByTestId("reimport"));
    await fireEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    expect(api.cancel).toHaveBeenCalledWith(api.reimportPreview.mock.calls[1][1]);
    expect(await screen.findByText(/Re-import cancelled/)).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  test("no re-import for metadata from a file", () => {
    render(IdpTab, { conn: connectionView({ metadata_source: "/home/admin/okta.xml" }), onchange: vi.fn() });
    expect(screen.queryByTestId("reimport")).toBeNull();
  });
});

describe("SpTab", () => {
  test("shows the SP values and saves URL overrides (empty = derive)", async () => {
    api.setSpUrls.mockResolvedValue(connectionView());
    render(SpTab, { conn: connectionView(), onchange: vi.fn() });
    expect(screen.getByTestId("sp-acs-url").textContent).toBe("http://127.0.0.1:7777/saml/okta-prod/acs");
    await fireEvent.input(screen.getByLabelText("ACS URL"), { target: { value: "not a url" } });
    expect(screen.getByText("Enter an absolute http:// or https:// URL.")).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("ACS URL"), { target: { value: "https://sso.acme.test/acs" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save URLs" }));
    expect(api.setSpUrls).toHaveBeenCalledWith("okta-prod", null, "https://sso.acme.test/acs");
  });

  test("saves the SP metadata where the admin chose", async () => {
    dialog.save.mockResolvedValue("/home/admin/okta-prod-sp-metadata.xml");
    api.saveSpMetadata.mockResolvedValue(null);
    render(SpTab, { conn: connectionView(), onchange: vi.fn() });
    await fireEvent.click(screen.getByRole("button", { name: "Save SP metadata…" }));
    await vi.waitFor(() => expect(api.saveSpMetadata).toHaveBeenCalledWith("okta-prod", "/home/admin/okta-prod-sp-metadata.xml"));
    expect(dialog.save.mock.calls[0][0]).toMatchObject({ defaultPath: "okta-prod-sp-metadata.xml" });
  });

  test("rotating the key asks first", async () => {
    api.rotateSpKey.mockResolvedValue(connectionView());
    render(SpTab, { conn: connectionView(), onchange: vi.fn() });
    await fireEvent.click(screen.getByRole("button", { name: "Rotate SP key…" }));
    expect(api.rotateSpKey).not.toHaveBeenCalled();
    await fireEvent.click(await screen.findByRole("button", { name: "Rotate key" }));
    expect(api.rotateSpKey).toHaveBeenCalledWith("okta-prod");
  });

  test("PEM has 64-character lines", () => {
    const pem = pemFromDer("A".repeat(130));
    expect(pem.split("\n")).toEqual([
      "-----BEGIN CERTIFICATE-----", "A".repeat(64), "A".repeat(64), "AA", "-----END CERTIFICATE-----", "",
    ]);
  });
});
