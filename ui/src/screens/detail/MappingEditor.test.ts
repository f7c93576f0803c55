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
    await fireEvent.click(screen.getByRole("button", { name: "Add a transform to groups" }));
    await fireEvent.click(await screen.findByRole("menuitem", { name: "Split" }));
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

  test("the + Transform menu applies only on Enter: arrows move, Escape closes, focus returns", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    render(MappingEditor, { m });
    const button = screen.getByRole("button", { name: "Add a transform to groups" });
    expect(button.getAttribute("aria-haspopup")).toBe("menu");
    button.focus();
    await fireEvent.keyDown(button, { key: "ArrowDown" });
    const menu = await screen.findByRole("menu");
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement?.textContent?.trim()).toBe("Trim");
    await fireEvent.keyDown(menu, { key: "ArrowDown" });
    await fireEvent.keyDown(menu, { key: "ArrowDown" });
    expect(document.activeElement?.textContent?.trim()).toBe("Split");
    expect(m.draft?.fields[2].transforms).toEqual([]); // moving applies nothing
    await fireEvent.keyDown(menu, { key: "Escape" });
    expect(screen.queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(m.draft?.fields[2].transforms).toEqual([]);
    await fireEvent.keyDown(button, { key: "ArrowUp" }); // opens on the last item
    expect(document.activeElement?.textContent?.trim()).toBe("All values");
    await fireEvent.keyDown(screen.getByRole("menu"), { key: "Home" });
    await fireEvent.keyDown(screen.getByRole("menu"), { key: "ArrowDown" });
    await fireEvent.keyDown(screen.getByRole("menu"), { key: "Enter" });
    expect(m.draft?.fields[2].transforms).toEqual([{ op: "lowercase" }]);
    expect(screen.queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  test("a new empty row is no error until Save; Save then names it and sends nothing", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    render(MappingEditor, { m });
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(1));
    await fireEvent.click(screen.getByTestId("add-field"));
    const row = screen.getByTestId(/^mapping-row-(username|new-)/);
    await vi.waitFor(() => expect(api.previewMapping).toHaveBeenCalledTimes(2));
    expect(lastPreviewDoc().fields).toHaveLength(3); // the blank row is not previewed
    expect(row.querySelector('[aria-invalid="true"]')).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    await fireEvent.click(screen.getByTestId("save-mapping"));
    expect(api.setMapping).not.toHaveBeenCalled();
    expect((await screen.findByTestId("save-blocked")).textContent).toContain("Field row 4 is not filled in");
    expect(row.querySelector('[aria-invalid="true"]')).toBeTruthy();
  });

  test("removing a row moves the focus to the next row's remove button, then to + Add field", async () => {
    render(MappingEditor, { m: new MappingState("okta-prod", mappingDocument()) });
    await fireEvent.click(screen.getByRole("button", { name: "Remove given_name" }));
    await vi.waitFor(() => expect(document.activeElement?.getAttribute("aria-label")).toBe("Remove groups"));
    await fireEvent.click(screen.getByRole("button", { name: "Remove groups" }));
    await vi.waitFor(() => expect(document.activeElement?.getAttribute("aria-label")).toBe("Remove email"));
    await fireEvent.click(screen.getByRole("button", { name: "Remove email" }));
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("add-field")));
  });

  test("the detected vendor's preset is pre-selected, and applying one says what it did", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    render(MappingEditor, { m, vendor: "entra" });
    const picker = screen.getByLabelText("Start from a preset") as HTMLSelectElement;
    await vi.waitFor(() => expect(picker.value).toBe("entra"));
    expect(screen.getByRole("option", { name: "Microsoft Entra ID (detected)" })).toBeTruthy();
    await fireEvent.click(screen.getByTestId("apply-preset"));
    await fireEvent.click(await screen.findByRole("button", { name: "Replace fields" }));
    await vi.waitFor(() => expect(screen.getByTestId("preset-note").textContent).toContain("Applied the Microsoft Entra ID preset"));
    expect(picker.value).toBe("entra"); // the picker keeps the choice
    expect((screen.getByTestId("save-mapping") as HTMLButtonElement).disabled).toBe(false);
    // Applying it again changes nothing, and says so.
    await fireEvent.click(screen.getByTestId("apply-preset"));
    await fireEvent.click(await screen.findByRole("button", { name: "Replace fields" }));
    await vi.waitFor(() => expect(screen.getByTestId("preset-note").textContent).toContain("already matches"));
  });

  test("a one-click fix changes the row, unsaved, and focuses its source", async () => {
    const m = new MappingState("okta-prod", mappingDocument());
    render(MappingEditor, { m });
    m.applyFix({ field: "email", attribute: "mail", value: "ada@acme.com" });
    const input = (await screen.findByLabelText("Source of email: attribute name")) as HTMLInputElement;
    await vi.waitFor(() => expect(document.activeElement).toBe(input));
    expect(input.value).toBe("mail");
    expect(m.dirty).toBe(true);
    expect(screen.getByTestId("applied-fix").textContent).toContain("now reads the attribute mail");
    expect((screen.getByTestId("save-mapping") as HTMLButtonElement).disabled).toBe(false);
    expect(api.setMapping).not.toHaveBeenCalled();
  });

  test("a first-of source edits its names, one per line", async () => {
    const doc = mappingDocument();
    doc.fields[0].source = { type: "first_of", names: ["email", "mail"], name_id_email: true };
    const m = new MappingState("okta-prod", doc);
    render(MappingEditor, { m });
    const names = screen.getByLabelText("Source of email: attribute names, one per line, tried in order") as HTMLTextAreaElement;
    expect(names.value).toBe("email\nmail");
    await fireEvent.input(names, { target: { value: "email\nmail\nurn:oid:0.9.2342.19200300.100.1.3\n" } });
    await vi.waitFor(() =>
      expect(lastPreviewDoc().fields[0].source).toEqual({
        type: "first_of",
        names: ["email", "mail", "urn:oid:0.9.2342.19200300.100.1.3"],
        name_id_email: true,
        otherwise: null,
      }),
    );
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
