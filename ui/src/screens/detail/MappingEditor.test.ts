import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock } from "../../lib/apiMock";
import type { MappingDocument } from "../../lib/generated/types";
import { mappingDocument, mappingPreview, presets } from "../testlogin/fixtures";
import MappingEditor from "./MappingEditor.svelte";
import MappingTab from "./MappingTab.svelte";
import { recordTestLogin } from "../../lib/stores/events.svelte";
import { MappingState, normalizeDocument } from "./mappingState.svelte";

function lastPreviewDoc(): MappingDocument {
  const calls = api.previewMapping.mock.calls;
  return calls[calls.length - 1][1] as MappingDocument;
}

beforeEach(() => {
  resetApiMock();
  api.previewMapping.mockResolvedValue(mappingPreview());
  api.presets.mockResolvedValue(presets());
});

describe("MappingEditor", () => {
  test("shows each field with its live preview value", async () => {
    render(MappingEditor, { m: new MappingState("okta-prod", mappingDocument()) });
    expect(screen.getByTestId("mapping-row-email")).toBeTruthy();
    await vi.waitFor(() => expect(screen.getByTestId("preview-email").textContent).toContain("ada@acme.com"));
    expect(api.previewMapping).toHaveBeenCalledWith("okta-prod", expect.objectContaining({ fields: expect.any(Array) }));
  });

  test("a new test login of this connection refreshes the preview (its claims are the latest)", async () => {
    render(MappingEditor, { m: new MappingState("okta-prod", mappingDocument()) });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(1));
    const login = { id: 8, at: "2026-01-01T00:00:00Z", kind: "sp_initiated" as const, outcome: "created" as const, failed_check: null, user_id: 1 };
    recordTestLogin({ ...login, connection: "other" });
    await new Promise((r) => setTimeout(r, 400)); // past the preview's debounce
    expect(api.previewMapping).toHaveBeenCalledTimes(1);
    recordTestLogin({ ...login, id: 9, connection: "okta-prod" });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(2));
  });

  test("editing a source calls previewMapping with the edited document (debounced)", async () => {
    render(MappingEditor, { m: new MappingState("okta-prod", mappingDocument()) });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(1));
    const input = screen.getByLabelText("Source of given_name: attribute name");
    await fireEvent.input(input, { target: { value: "g" } });
    await fireEvent.input(input, { target: { value: "givenName" } });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(2));
    const doc = lastPreviewDoc();
    expect(doc.fields[1].source).toMatchObject({ type: "attribute", name: "givenName" });
    expect(doc.fields[0].target).toBe("email");
  });

  test("adding a transform calls previewMapping with it", async () => {
    render(MappingEditor, { m: new MappingState("okta-prod", mappingDocument()) });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(1));
    await fireEvent.change(screen.getByLabelText("Add a transform to groups"), { target: { value: "split" } });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(2));
    expect(lastPreviewDoc().fields[2].transforms).toEqual([{ op: "split", delimiter: "," }]);
    // Then remove a transform of email.
    await fireEvent.click(screen.getByRole("button", { name: "Remove Trim from email" }));
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(3));
    expect(lastPreviewDoc().fields[0].transforms).toEqual([{ op: "lowercase" }]);
  });

  test("a preset replaces the fields (not saved until Save)", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    render(MappingEditor, { m });
    await vi.waitFor(() => expect(screen.getByRole("option", { name: "Microsoft Entra ID" })).toBeTruthy());
    await fireEvent.change(screen.getByLabelText("Start from a preset"), { target: { value: "entra" } });
    await fireEvent.click(screen.getByTestId("apply-preset"));
    await fireEvent.click(await screen.findByRole("button", { name: "Replace fields" }));
    await vi.waitFor(() => expect(screen.queryByTestId("mapping-row-given_name")).toBeNull());
    expect(screen.getByTestId("mapping-row-email")).toBeTruthy();
    expect(m.draft?.subject).toMatchObject({ type: "attribute", name: "http://schemas.microsoft.com/identity/claims/objectidentifier" });
    expect(m.draft?.roles.rules).toHaveLength(3); // roles kept
    expect(api.setMapping).not.toHaveBeenCalled();
    expect(m.dirty).toBe(true);
  });

  test("save calls setMapping with the edited document", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    api.setMapping.mockImplementation(async (_n: string, d: MappingDocument) => d);
    render(MappingEditor, { m });
    const save = screen.getByTestId("save-mapping") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    await fireEvent.click(within(screen.getByTestId("mapping-row-given_name")).getByLabelText("given_name is required"));
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    expect(api.setMapping).toHaveBeenCalledTimes(1);
    const [name, doc] = api.setMapping.mock.calls[0] as [string, MappingDocument];
    expect(name).toBe("okta-prod");
    expect(doc.fields[1]).toMatchObject({ target: "given_name", required: true });
    expect(doc.roles).toEqual(normalizeDocument(mappingDocument()).roles);
    await vi.waitFor(() => expect(m.dirty).toBe(false));
  });

  test("a save error is shown inline", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    api.setMapping.mockRejectedValue(new Error('field "email" is mapped twice'));
    render(MappingEditor, { m });
    await fireEvent.click(within(screen.getByTestId("mapping-row-given_name")).getByLabelText("given_name is required"));
    await fireEvent.click(screen.getByTestId("save-mapping"));
    expect((await screen.findByRole("alert")).textContent).toContain("mapped twice");
  });
});

describe("MappingTab", () => {
  test("without a test login it says how to get a preview", async () => {
    api.previewMapping.mockResolvedValue(mappingPreview({ test_login_id: null, claims: { name_id: null, attributes: [] }, trace: null, outcome: null, user: null }));
    render(MappingTab, { m: new MappingState("okta-prod", mappingDocument()) });
    expect(await screen.findByText("Run a test login to preview with real attributes.")).toBeTruthy();
  });

  test("an invalid mapping shows the preview error", async () => {
    api.previewMapping.mockResolvedValue(mappingPreview({ error: { code: "invalid_input", message: "invalid regular expression", detail: null, hint: null }, trace: null }));
    render(MappingTab, { m: new MappingState("okta-prod", mappingDocument()) });
    expect((await screen.findByText(/invalid regular expression/)).textContent).toContain("invalid regular expression");
  });

  test("clicking a claim makes it the source of the selected field", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    render(MappingTab, { m });
    const claims = screen.getByTestId("claims");
    await vi.waitFor(() => expect(claims.textContent).toContain("urn:oid:2.5.4.4"));
    await fireEvent.focusIn(screen.getByLabelText("Source of given_name: attribute name"));
    await fireEvent.click(within(claims).getByRole("button", { name: "urn:oid:2.5.4.4" }));
    expect(m.draft?.fields[1].source).toMatchObject({ type: "attribute", name: "urn:oid:2.5.4.4" });
  });
});
