import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { cert, idp, preview, view } from "./testFixtures";

vi.mock("../lib/api", () => import("../lib/apiMock"));
import { api } from "../lib/apiMock";

import Import from "./Import.svelte";
import { ApiError } from "../lib/api";
import { nav } from "../lib/stores/nav.svelte";

const XML = '<md:EntityDescriptor entityID="http://www.okta.com/exk1abcd"/>';

async function paste(xml = XML) {
  await fireEvent.click(screen.getByRole("tab", { name: "Paste XML" }));
  await fireEvent.input(screen.getByTestId("metadata-xml"), { target: { value: xml } });
}

beforeEach(() => {
  vi.clearAllMocks();
  api.previewMetadata.mockResolvedValue(preview());
});

describe("Import", () => {
  test("pasted XML is previewed, then saved with the right request", async () => {
    api.importConnection.mockResolvedValue({ connection: view("acme-okta"), warnings: [] });
    render(Import);
    await paste();
    await waitFor(() => expect(api.previewMetadata).toHaveBeenCalledWith(XML, null));
    const summary = await screen.findByTestId("idp-summary");
    expect(within(summary).getByText("HTTP-Redirect")).toBeTruthy();
    expect(within(summary).getByText("HTTP-POST")).toBeTruthy();
    expect(within(summary).getByText("CN=okta-signing")).toBeTruthy();
    expect(within(summary).getByText("AB:CD:EF:01")).toBeTruthy();

    const name = screen.getByTestId("connection-name") as HTMLInputElement;
    expect(name.value).toBe("okta");
    await fireEvent.input(name, { target: { value: "acme-okta" } });
    await fireEvent.click(screen.getByText("Advanced: SP entityID and ACS URL"));
    await fireEvent.input(screen.getByTestId("acs-url"), { target: { value: "https://sp.example.com/acs" } });
    await fireEvent.click(screen.getByTestId("save-connection"));
    expect(api.importConnection).toHaveBeenCalledWith({
      name: "acme-okta",
      metadata_xml: XML,
      source: "pasted",
      entity_id: null,
      sp_entity_id: null,
      acs_url: "https://sp.example.com/acs",
    });
    await waitFor(() => expect(nav.view).toBe("connection"));
    expect(nav.name).toBe("acme-okta");
    expect(nav.tab).toBe("sp");
  });

  test("an aggregate asks which IdP, and re-previews with the choice", async () => {
    const idps = [
      { entity_id: "https://idp.uni-a.edu/idp", display_name: "University A", sso_bindings: [], saml2: true },
      { entity_id: "https://idp.uni-b.edu/idp", display_name: "University B", sso_bindings: [], saml2: true },
      { entity_id: "https://old.uni-c.edu/shib", display_name: "Old C", sso_bindings: ["urn:mace:shibboleth:1.0:profiles:AuthnRequest"], saml2: false },
    ];
    api.previewMetadata.mockImplementation(async (_xml: string, entity: string | null) =>
      entity
        ? preview({ idps, chosen: { ...preview().chosen!, idp: { ...idp, entity_id: entity } }, suggested_name: "uni-b" })
        : preview({
            idps,
            chosen: null,
            error: { code: "invalid_metadata", message: "the aggregate lists 2 SAML 2.0 IdPs; choose one", detail: "several_idps", hint: "Choose one." },
            suggested_name: "idp",
          }),
    );
    api.importConnection.mockResolvedValue({ connection: view("uni-b"), warnings: [] });
    render(Import);
    await paste();
    const list = await screen.findByTestId("idp-list");
    expect(screen.getByText(/Choose the IdP to connect/)).toBeTruthy();
    expect(screen.queryByTestId("preview-error")).toBeNull();
    expect((within(list).getByRole("radio", { name: /Old C/ }) as HTMLInputElement).disabled).toBe(true);

    await fireEvent.input(screen.getByTestId("idp-filter"), { target: { value: "uni-b" } });
    expect(within(list).queryByText("University A")).toBeNull();
    await fireEvent.click(within(list).getByRole("radio", { name: /University B/ }));
    await waitFor(() => expect(api.previewMetadata).toHaveBeenLastCalledWith(XML, "https://idp.uni-b.edu/idp"));
    await waitFor(() => expect((screen.getByTestId("connection-name") as HTMLInputElement).value).toBe("uni-b"));
    await fireEvent.click(screen.getByTestId("save-connection"));
    expect(api.importConnection.mock.calls[0][0].entity_id).toBe("https://idp.uni-b.edu/idp");
  });

  test("warnings show before saving", async () => {
    api.previewMetadata.mockResolvedValue(
      preview({
        chosen: {
          idp: { ...idp, signing_certificates: [{ ...cert, not_after: "2020-01-01T00:00:00Z" }] },
          certificate_expiry: [{ not_after: "2020-01-01T00:00:00Z", days_left: -2000, level: "expired" }],
          warnings: [
            { code: "certificate_expired", message: "The signing certificate expired on 2020-01-01" },
            { code: "valid_until_past", message: "validUntil is in the past" },
          ],
        },
      }),
    );
    render(Import);
    await paste();
    const warnings = await screen.findByTestId("preview-warnings");
    expect(warnings.textContent).toContain("2 warnings");
    expect(warnings.textContent).toContain("The signing certificate expired on 2020-01-01");
    expect(warnings.textContent).toContain("validUntil is in the past");
    expect(screen.getByText("Expired").className).toContain("bad");
    expect((screen.getByTestId("save-connection") as HTMLButtonElement).disabled).toBe(false);
  });

  test("the preview's error is shown precisely and blocks saving", async () => {
    api.previewMetadata.mockResolvedValue(
      preview({
        chosen: null,
        error: { code: "invalid_metadata", message: "entity x has no SAML 2.0 SingleSignOnService", detail: "no_saml2_sso", hint: "Export the IdP's SAML 2.0 metadata." },
      }),
    );
    render(Import);
    await paste();
    const err = within(await screen.findByTestId("preview-error")).getByRole("alert");
    expect(err.textContent).toContain("entity x has no SAML 2.0 SingleSignOnService");
    // The metadata error's own code and hint arrive intact.
    expect(err.textContent).toContain("invalid_metadata / no_saml2_sso");
    expect(err.textContent).toContain("How to fix: Export the IdP's SAML 2.0 metadata.");
    expect(screen.queryByTestId("save-connection")).toBeNull();
  });

  test("unreadable XML: the thrown error is an alert", async () => {
    api.previewMetadata.mockRejectedValue(new ApiError("invalid_metadata", "not well-formed XML at line 1"));
    render(Import);
    await paste("<oops");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The metadata cannot be imported: not well-formed XML at line 1");
    expect(alert.textContent).toContain("invalid_metadata");
  });

  test("an import error is shown inline", async () => {
    api.importConnection.mockRejectedValue(new ApiError("secret_store_unavailable", "no keyring"));
    render(Import);
    await paste();
    await fireEvent.click(await screen.findByTestId("save-connection"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The secret store is unavailable: no keyring");
  });

  test("a file is read and previewed with its name as the source", async () => {
    api.importConnection.mockResolvedValue({ connection: view("okta"), warnings: [] });
    render(Import);
    const file = new File([XML], "okta-metadata.xml", { type: "text/xml" });
    await fireEvent.change(screen.getByTestId("metadata-file"), { target: { files: [file] } });
    await waitFor(() => expect(api.previewMetadata).toHaveBeenCalledWith(XML, null));
    await fireEvent.click(await screen.findByTestId("save-connection"));
    expect(api.importConnection.mock.calls[0][0].source).toBe("okta-metadata.xml");
  });

  test("a dropped file is read", async () => {
    render(Import);
    const file = new File([XML], "dropped.xml", { type: "text/xml" });
    await fireEvent.drop(screen.getByTestId("dropzone"), { dataTransfer: { files: [file] } });
    await waitFor(() => expect(api.previewMetadata).toHaveBeenCalledWith(XML, null));
  });

  test("a URL fetch can be cancelled, which is not an error", async () => {
    let reject: (e: unknown) => void = () => {};
    api.fetchMetadata.mockImplementation(() => new Promise((_, r) => (reject = r)));
    api.cancel.mockImplementation(async () => {
      reject(new ApiError("cancelled", "cancelled"));
      return true;
    });
    render(Import);
    await fireEvent.click(screen.getByRole("tab", { name: "From a URL" }));
    await fireEvent.input(screen.getByTestId("metadata-url"), { target: { value: "https://idp.example.com/metadata" } });
    await fireEvent.click(screen.getByTestId("fetch-metadata"));
    expect(api.fetchMetadata).toHaveBeenCalledWith("https://idp.example.com/metadata", expect.stringMatching(/^op-/));
    const op = api.fetchMetadata.mock.calls[0][1];
    await fireEvent.click(await screen.findByTestId("cancel-fetch"));
    expect(api.cancel).toHaveBeenCalledWith(op);
    await screen.findByText("Fetch cancelled.");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByTestId("fetch-metadata")).toBeTruthy();
  });

  test("a fetched document uses the URL as its source", async () => {
    api.fetchMetadata.mockResolvedValue(XML);
    api.importConnection.mockResolvedValue({ connection: view("okta"), warnings: [] });
    render(Import);
    await fireEvent.click(screen.getByRole("tab", { name: "From a URL" }));
    await fireEvent.input(screen.getByTestId("metadata-url"), { target: { value: "https://idp.example.com/metadata" } });
    await fireEvent.click(screen.getByTestId("fetch-metadata"));
    await fireEvent.click(await screen.findByTestId("save-connection"));
    expect(api.importConnection.mock.calls[0][0].source).toBe("https://idp.example.com/metadata");
  });

  test("tabs move with the arrow keys", async () => {
    render(Import);
    const file = screen.getByRole("tab", { name: "File" });
    expect(file.getAttribute("aria-selected")).toBe("true");
    await fireEvent.keyDown(file, { key: "ArrowRight" });
    expect(screen.getByRole("tab", { name: "Paste XML" }).getAttribute("aria-selected")).toBe("true");
    await fireEvent.keyDown(file, { key: "End" });
    expect(screen.getByRole("tab", { name: "From a URL" }).getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(screen.getByRole("tab", { name: "From a URL" }));
  });
});
