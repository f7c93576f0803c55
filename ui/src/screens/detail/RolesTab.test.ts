import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock } from "../../lib/apiMock";
import type { MappingDocument } from "../../lib/generated/types";
import { mappingDocument, mappingPreview } from "../testlogin/fixtures";
import RolesTab from "./RolesTab.svelte";
import { MappingState } from "./mappingState.svelte";

beforeEach(() => {
  resetApiMock();
  api.previewMapping.mockResolvedValue(mappingPreview());
  api.setMapping.mockImplementation(async (_n: string, d: MappingDocument) => d);
});

function savedDoc(): MappingDocument {
  return api.setMapping.mock.calls[api.setMapping.mock.calls.length - 1][1] as MappingDocument;
}

describe("RolesTab", () => {
  test("move up / move down change the order in the saved document", async () => {
    render(RolesTab, { m: new MappingState("okta-prod", mappingDocument()) });
    await fireEvent.click(screen.getByRole("button", { name: "Move rule 3 up" }));
    await fireEvent.click(screen.getByTestId("save-roles"));
    expect(savedDoc().roles.rules.map((r) => r.grant)).toEqual(["admin", "agent", "developer"]);

    await fireEvent.click(screen.getByRole("button", { name: "Move rule 1 down" }));
    await fireEvent.click(screen.getByTestId("save-roles"));
    const doc = savedDoc();
    expect(doc.roles.rules.map((r) => r.grant)).toEqual(["agent", "admin", "developer"]);
    // The rest of the document is unchanged.
    const original = mappingDocument();
    expect(doc.fields.map((f) => f.target)).toEqual(original.fields.map((f) => f.target));
    expect(doc.access).toEqual(original.access);
    expect(doc.provisioning).toEqual(original.provisioning);
    expect(doc.roles.default_role).toBe("member");
  });

  test("shows which rule matched in the preview", async () => {
    render(RolesTab, { m: new MappingState("okta-prod", mappingDocument()) });
    await vi.waitFor(() => expect(screen.getByTestId("rule-preview-0").textContent).toContain("matched"));
    expect(screen.getByTestId("rule-preview-0").textContent).toContain('"Admins"');
    expect(screen.getByTestId("rule-preview-2").textContent).toContain("no match");
    expect(screen.getByTestId("access-preview").textContent).toContain("domain acme.com");
  });

  test("a new blank rule is no error until Save is tried", async () => {
    render(RolesTab, { m: new MappingState("okta-prod", mappingDocument()) });
    await fireEvent.click(screen.getByTestId("add-role-rule"));
    expect(screen.queryByText("Enter the role to grant")).toBeNull();
    expect(screen.getByLabelText("Rule 4: role to grant").getAttribute("aria-invalid")).toBe("false");
    await fireEvent.click(screen.getByTestId("save-roles"));
    expect(api.setMapping).not.toHaveBeenCalled();
    expect((await screen.findByTestId("save-blocked")).textContent).toContain("Role rule 4 is not filled in");
    expect(screen.getByText("Enter the role to grant")).toBeTruthy();
  });

  test("adding a rule, a domain and deny-on-no-match are saved", async () => {
    render(RolesTab, { m: new MappingState("okta-prod", mappingDocument()) });
    await fireEvent.click(screen.getByTestId("add-role-rule"));
    await fireEvent.input(screen.getByLabelText("Rule 4: value"), { target: { value: "Finance" } });
    await fireEvent.input(screen.getByLabelText("Rule 4: role to grant"), { target: { value: "finance" } });
    await fireEvent.input(screen.getByLabelText("Allowed email domains"), { target: { value: "@Acme.io" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add to Allowed email domains" }));
    await fireEvent.click(screen.getByLabelText(/Deny the login/));
    await fireEvent.click(screen.getByTestId("save-roles"));
    const doc = savedDoc();
    expect(doc.roles.rules[3]).toMatchObject({ source: { type: "field", name: "groups" }, op: "equals", value: "Finance", grant: "finance" });
    expect(doc.access.allowed_email_domains).toEqual(["acme.com", "acme.io"]);
    expect(doc.roles.when_none_match).toBe("deny");
    expect(doc.access.require_email_verified).toBe(false);
  });

  test("requiring an email the IdP verified is saved", async () => {
    render(RolesTab, { m: new MappingState("okta-prod", mappingDocument()) });
    const box = screen.getByTestId("access-email-verified") as HTMLInputElement;
    expect(box.checked).toBe(false);
    await fireEvent.click(box);
    await fireEvent.click(screen.getByTestId("save-roles"));
    expect(savedDoc().access.require_email_verified).toBe(true);
    expect(savedDoc().access.allowed_email_domains).toEqual(["acme.com"]);
  });
});
