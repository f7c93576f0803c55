// Importing IdP metadata: pasted XML and URLs are previewed (IdP, certificates, warnings,
// aggregates, errors) before anything is saved; saving sends the ImportRequest.
import assert from "node:assert/strict";
import { CommandError } from "./backend.mjs";
import { openApp } from "./helpers.mjs";
import { seeText, serveApp, testdataText, waitForAttribute, waitForCall } from "./app.mjs";

const ADFS_ENTITY = "http://adfs.contoso.com/adfs/services/trust";
const UNIVERSITY = "https://idp.university.example/idp/shibboleth";

async function openImport(page, mode) {
  await page.getByRole("button", { name: "+ Import metadata" }).click();
  await page.getByRole("heading", { level: 1, name: "Import IdP metadata" }).waitFor();
  if (mode) await page.getByRole("tab", { name: mode }).click();
}

export async function pasted_xml_is_previewed_with_certificates_and_warnings_before_saving(page, backend) {
  serveApp(backend);
  backend.on("preview_metadata", () => backend.snapshot("preview_expired"));
  await openApp(page);
  await openImport(page, "Paste XML");
  const xml = testdataText("adfs_metadata.xml");
  await page.getByRole("textbox", { name: "Metadata XML" }).fill(xml);

  const summary = page.getByTestId("idp-summary");
  await seeText(summary, ADFS_ENTITY);
  assert.deepEqual(backend.calls("preview_metadata"), [{ xml, entity_id: null }]);
  await seeText(page.getByRole("main"), "Source: pasted");
  await seeText(summary, "AD FS"); // the vendor guess, by its label
  await seeText(summary, "https://adfs.contoso.com/adfs/ls/");
  await seeText(summary, "Signing certificates (2)");
  await seeText(summary, "CN=ADFS Signing - adfs.contoso.com");
  await seeText(summary, "CN=idp-ec.handshake.test, O=Handshake test fixtures");
  await seeText(summary, "DA:A6:A4:16:EA:8F:C9:63:91:65:D4:23:26:7D:E5:DF:72:F5:05:C8:33:31:B5:FB:23:8B:C6:6E:43:78:58:62");
  // The first certificate expired on 2025-12-01.
  await seeText(summary.locator("dl.cert").first(), "Expired");

  const warnings = page.getByTestId("preview-warnings");
  await seeText(warnings, "1 warning: check before saving");
  await seeText(warnings, "certificate_expired");
  await seeText(warnings, "expired on 2025-12-01T00:00:00Z");

  // Nothing saved yet; the name is the core's suggestion.
  assert.deepEqual(backend.calls("import_connection"), []);
  assert.equal(await page.getByRole("textbox", { name: "Connection name" }).inputValue(), "adfs");
  assert.ok(await page.getByRole("button", { name: "Save connection" }).isEnabled());
}

export async function save_sends_the_import_request_and_opens_the_sp_tab(page, backend) {
  serveApp(backend);
  backend.on("preview_metadata", () => backend.snapshot("preview_expired"));
  // (adfs-contoso is in the list snapshot already: the core's list after this import.)
  backend.on("import_connection", () => backend.snapshot("import_outcome"));
  await openApp(page);
  await openImport(page, "Paste XML");
  const xml = testdataText("adfs_metadata.xml");
  await page.getByRole("textbox", { name: "Metadata XML" }).fill(xml);
  await page.getByTestId("idp-summary").waitFor();

  const name = page.getByRole("textbox", { name: "Connection name" });
  await name.fill("adfs contoso");
  await seeText(page.locator("#connection-name-error"), "Use only letters, digits, '-', '_' and '.'.");
  assert.ok(await page.getByRole("button", { name: "Save connection" }).isDisabled());
  await name.fill("adfs-contoso");

  await page.getByText("Advanced: SP entityID and ACS URL").click();
  await page.getByRole("textbox", { name: "SP entityID (optional)" }).fill("https://app.example.com/saml/metadata");
  const acs = page.getByRole("textbox", { name: "ACS URL (optional)" });
  await acs.fill("not a url");
  await seeText(page.locator("#acs-url-error"), "Enter an absolute URL");
  assert.ok(await page.getByRole("button", { name: "Save connection" }).isDisabled());
  await acs.fill("https://app.example.com/saml/acs");

  await page.getByRole("button", { name: "Save connection" }).click();
  const { request } = await waitForCall(backend, "import_connection");
  assert.deepEqual(request, {
    name: "adfs-contoso",
    metadata_xml: xml,
    source: "pasted",
    entity_id: null,
    sp_entity_id: "https://app.example.com/saml/metadata",
    acs_url: "https://app.example.com/saml/acs",
  });

  // The connection's SP tab: what to give the IdP next.
  await page.getByRole("heading", { level: 1, name: "adfs-contoso" }).waitFor();
  await waitForAttribute(page.getByRole("tab", { name: "Service provider" }), "aria-selected", "true");
  await seeText(page.getByTestId("sp-entity-id"), "https://app.example.com/saml/metadata");
  await seeText(page.getByTestId("sp-acs-url"), "https://app.example.com/saml/acs");
  await page.locator(".toasts").getByText("Saved connection adfs-contoso").waitFor();
}

export async function an_aggregate_asks_for_the_idp_and_previews_the_choice(page, backend) {
  serveApp(backend);
  backend.on("preview_metadata", ({ entity_id }) => {
    if (entity_id === null) return backend.snapshot("preview_aggregate");
    if (entity_id === UNIVERSITY) return backend.snapshot("preview_aggregate_chosen");
    throw new Error(`unexpected entity_id ${entity_id}`);
  });
  backend.on("import_connection", () => backend.snapshot("import_outcome"));
  await openApp(page);
  await openImport(page, "Paste XML");
  const xml = testdataText("aggregate_metadata.xml");
  await page.getByRole("textbox", { name: "Metadata XML" }).fill(xml);

  const choice = page.getByRole("group", { name: /3 identity providers/ });
  await choice.waitFor();
  await seeText(choice, "This document is an aggregate (a federation feed). Choose the IdP to connect.");
  // The core's "choose one" error is the question itself, not shown as a failure.
  assert.equal(await page.getByTestId("preview-error").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Save connection" }).count(), 0, "no save before a choice");

  const university = choice.getByRole("radio", { name: /Example University/ });
  const fixture = choice.getByRole("radio", { name: /idp\.handshake\.test/ });
  const saml1 = choice.getByRole("radio", { name: /old\.college\.example/ });
  assert.ok(await fixture.isEnabled());
  assert.ok(await saml1.isDisabled(), "a SAML 1-only IdP cannot be chosen");
  await seeText(choice.locator("li", { hasText: "old.college.example" }), "No SAML 2.0");

  // The search narrows the list.
  await choice.getByRole("searchbox", { name: "Search IdPs" }).fill("university");
  await fixture.waitFor({ state: "detached" });
  await university.check();

  const call = await waitForCall(backend, "preview_metadata", (a) => a.entity_id !== null);
  assert.deepEqual(call, { xml, entity_id: UNIVERSITY });
  await seeText(page.getByTestId("idp-summary"), UNIVERSITY);
  await seeText(page.getByRole("group", { name: /3 identity providers/ }), "https://federation.example.org/metadata");
  assert.equal(await page.getByRole("textbox", { name: "Connection name" }).inputValue(), "shibboleth");

  await page.getByRole("button", { name: "Save connection" }).click();
  const { request } = await waitForCall(backend, "import_connection");
  assert.equal(request.entity_id, UNIVERSITY);
  assert.equal(request.name, "shibboleth");
  assert.equal(request.metadata_xml, xml);
}

export async function invalid_metadata_is_reported_with_code_and_message(page, backend) {
  serveApp(backend);
  const error = backend.snapshot("error_invalid_metadata");
  backend.fail("preview_metadata", error);
  await openApp(page);
  await openImport(page, "Paste XML");
  await page.getByRole("textbox", { name: "Metadata XML" }).fill("Sign-on URL: https://idp.example.com/sso");

  const alert = page.getByRole("alert").filter({ hasText: "This document cannot be read as metadata" });
  await seeText(alert, `The metadata cannot be imported: ${error.message}`);
  await seeText(alert, "Error code: invalid_metadata");
  assert.equal(await page.getByRole("button", { name: "Save connection" }).count(), 0);

  // Emptying the box clears the error.
  await page.getByRole("textbox", { name: "Metadata XML" }).fill("");
  await alert.waitFor({ state: "detached" });
}

export async function url_fetch_shows_progress_and_cancel_stops_it(page, backend) {
  serveApp(backend);
  const cancelled = backend.snapshot("error_cancelled");
  // A fetch that hangs until cancelled, as Desktop::fetch_metadata under Desktop::cancel.
  const pending = new Map();
  backend.on("fetch_metadata", ({ operation }) => new Promise((_resolve, reject) => pending.set(operation, reject)));
  backend.on("cancel", ({ operation }) => {
    const reject = pending.get(operation);
    pending.delete(operation);
    reject?.(new CommandError(cancelled));
    return !!reject;
  });
  await openApp(page);
  await openImport(page, "From a URL");
  const url = page.getByRole("textbox", { name: "Metadata URL" });

  // Checked before anything is sent.
  await url.fill("ftp://idp.example.com/metadata");
  await page.getByRole("button", { name: "Fetch" }).click();
  await seeText(page.locator("#metadata-url-error"), "Use an http:// or https:// URL.");
  assert.deepEqual(backend.calls("fetch_metadata"), []);

  const target = "https://adfs.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml";
  await url.fill(target);
  await page.getByRole("button", { name: "Fetch" }).click();
  const fetch = await waitForCall(backend, "fetch_metadata");
  assert.equal(fetch.url, target);
  assert.match(fetch.operation, /\S/);
  await page.getByText("Fetching…").waitFor();
  await page.getByRole("status").filter({ hasText: "Fetching the metadata" }).waitFor({ state: "attached" });
  assert.ok(await url.isDisabled(), "the URL is locked while fetching");

  await page.getByRole("button", { name: "Cancel" }).click();
  const cancel = await waitForCall(backend, "cancel");
  assert.deepEqual(cancel, { operation: fetch.operation }, "cancel names the fetch's own operation");
  await page.getByText("Fetch cancelled.").waitFor();
  // Neutral: no error banner for a cancel, and the form is usable again.
  assert.equal(await page.getByRole("alert").count(), 0);
  await page.getByRole("button", { name: "Fetch" }).waitFor();
  assert.ok(await url.isEnabled());
  assert.deepEqual(backend.calls("preview_metadata"), []);
}

export async function url_fetch_previews_the_fetched_document_with_its_url_as_source(page, backend) {
  serveApp(backend);
  const xml = testdataText("adfs_metadata.xml");
  backend.on("fetch_metadata", () => xml);
  backend.on("preview_metadata", () => backend.snapshot("preview_expired"));
  backend.on("import_connection", () => backend.snapshot("import_outcome"));
  await openApp(page);
  await openImport(page, "From a URL");
  const target = "https://adfs.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml";
  await page.getByRole("textbox", { name: "Metadata URL" }).fill(target);
  await page.getByRole("textbox", { name: "Metadata URL" }).press("Enter");

  await page.getByText(`Fetched ${target}`).waitFor();
  await seeText(page.getByTestId("idp-summary"), ADFS_ENTITY);
  assert.deepEqual(backend.calls("preview_metadata"), [{ xml, entity_id: null }]);
  await page.getByRole("textbox", { name: "Connection name" }).fill("adfs-contoso");
  await page.getByRole("button", { name: "Save connection" }).click();
  const { request } = await waitForCall(backend, "import_connection");
  assert.equal(request.source, target);
  assert.equal(request.sp_entity_id, null);
  assert.equal(request.acs_url, null);
}

export async function a_network_error_is_shown_with_its_code(page, backend) {
  serveApp(backend);
  const error = backend.snapshot("error_network");
  backend.fail("fetch_metadata", error);
  await openApp(page);
  await openImport(page, "From a URL");
  await page.getByRole("textbox", { name: "Metadata URL" }).fill("http://127.0.0.1:1/metadata");
  await page.getByRole("button", { name: "Fetch" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Could not fetch the metadata" });
  await seeText(alert, `Network problem: ${error.message}`);
  await seeText(alert, "Error code: network");
}
