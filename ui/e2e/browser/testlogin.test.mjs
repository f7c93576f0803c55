// The test login tab: start (open_login), the result pushed live by a `test-login` event
// (outcome, user record, diff, checks, claims, signed XML), events of other connections
// ignored, and a pasted response analyzed as a dry run.
import assert from "node:assert/strict";
import { pollUntil } from "../harness.mjs";
import { openApp } from "./helpers.mjs";
import { openConnection, seeText, serveApp, testdataText, waitForCall } from "./app.mjs";

const LOGIN_URL = "http://127.0.0.1:7777/saml/acme/login";

/** Opens the Test login tab of `name` and waits until the panel listens for events. */
async function openTestLogin(page, backend, name) {
  await openConnection(page, name, "Test login");
  // The app shell listens once; the panel adds its own listener.
  await pollUntil(async () => (await backend.listening("test-login")) >= 2, { what: "the panel's test-login listener" });
  return page.getByRole("tabpanel", { name: "Test login" });
}

export async function start_then_a_live_result_for_this_connection(page, backend) {
  serveApp(backend);
  backend.on("open_login", ({ name }) => `http://127.0.0.1:7777/saml/${name}/login`);
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  await seeText(panel, "No result on screen.");

  await panel.getByRole("button", { name: "Start test login" }).click();
  assert.deepEqual(await waitForCall(backend, "open_login"), { name: "acme", in_app: true });
  const waiting = panel.getByText("Waiting for the IdP to post to the ACS…");
  await waiting.waitFor();
  await seeText(panel, LOGIN_URL);

  // The embedded SP's ACS finished a login: the core's event for test login #3.
  const event = backend.snapshot("test_login_event_updated");
  assert.equal(event.connection, "acme");
  await backend.emit("test-login", event);
  assert.deepEqual(await waitForCall(backend, "test_login"), { id: event.id });

  const result = panel.getByTestId("test-login-result");
  await result.waitFor();
  await waiting.waitFor({ state: "detached" });
  const outcome = result.getByTestId("outcome");
  await seeText(outcome, "Signed in: the user's record was updated");
  await seeText(outcome, "Updated");
  await seeText(outcome, "ada@example.com");
  await seeText(outcome, "Test login #3");
  await seeText(outcome, "IdP-initiated");
  await seeText(outcome, "Response signed");
  await seeText(outcome, "Assertion signed");

  // The user record and what this login changed (Lovelace -> King).
  const record = result.getByTestId("user-record");
  await seeText(record, "#1");
  await seeText(record, "Ada King");
  await seeText(record, "engineering");
  await seeText(record, "member");
  const diff = result.getByTestId("user-diff");
  await seeText(diff.locator('tr[data-field="family_name"]'), "Family name Lovelace → King");
  await seeText(diff.locator('tr[data-field="display_name"]'), "Display name Ada Lovelace → Ada King");

  // Checks: all passed but decrypt (not encrypted).
  const checks = result.getByTestId("checks");
  await seeText(checks, "12 passed");
  await seeText(checks, "1 not reached");
  assert.equal(await checks.locator('tr[data-status="fail"]').count(), 0);

  // Claims as received, and the XML with the signed part marked.
  const attributes = result.getByTestId("attributes");
  for (const text of ["NameID", "emailAddress", "firstName", "lastName", '"King"', "department", '"Engineering"', '"admins"']) {
    await seeText(attributes, text);
  }
  const xml = result.getByRole("region", { name: "Decoded response XML" });
  await xml.waitFor();
  const detail = backend.snapshot("test_login_updated");
  const signed = detail.xml.filter((l) => l.signed).length;
  assert.ok(signed > 0);
  assert.equal(await xml.locator('[data-signed="true"]').count(), signed, "every signed line is marked");
  assert.equal(await xml.locator(".line").count(), detail.xml.length);
  await seeText(result.getByTestId("assertion-xml"), "Signed: covered by a verified signature");
  await seeText(xml.locator(".line").first(), "<samlp:Response");

  // The list of earlier logins shows it as the current one.
  await seeText(panel.getByTestId("earlier-logins").locator('tr[data-login-id="3"]'), "Shown");
}

export async function a_rejected_login_leads_with_the_failed_check(page, backend) {
  serveApp(backend);
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme-staging");
  await backend.emit("test-login", backend.snapshot("test_login_event_rejected"));

  const result = panel.getByTestId("test-login-result");
  const outcome = result.getByTestId("outcome");
  // The core's sentence, the words the Demo screen's inline result shows too.
  await seeText(outcome, "Rejected at the audience check: the response was not accepted.");
  await seeText(outcome, "Failed check: AudienceRestriction names the SP entityID exactly (audience)");
  await seeText(outcome, "Expected https://app.example.com/saml/metadata");
  await seeText(outcome, 'Actual Audience "https://other.example/saml/metadata"');
  await seeText(outcome, "How to fix: Audience was https://other.example/saml/metadata; the IdP must be configured with SP entityID");
  assert.equal(await result.getByTestId("user-record").count(), 0, "no user section for a rejected response");

  // The failed check comes first in the table, with expected, actual and the fix.
  const checks = result.getByTestId("checks");
  await seeText(checks, "11 passed");
  await seeText(checks, "1 failed");
  const first = checks.locator("tbody tr").first();
  assert.equal(await first.getAttribute("data-check"), "audience");
  assert.equal(await first.getAttribute("data-status"), "fail");
  await seeText(first, "Fail");
  await seeText(first, "audience · audience_mismatch");
  await seeText(first, "https://app.example.com/saml/metadata");
  await seeText(first, 'Audience "https://other.example/saml/metadata"');
  // Expected and actual stacked under the check, the fix with them.
  await seeText(first.locator('[data-value="expected"]'), "https://app.example.com/saml/metadata");
  await seeText(first, "How to fix:");
  assert.equal(await checks.locator("tbody tr").nth(1).getAttribute("data-status"), "pass");

  // The claims are still shown, and the XML (signed: the signatures verified).
  await seeText(result.getByTestId("attributes"), "ada@example.com");
  assert.ok((await result.locator('[data-signed="true"]').count()) > 0);
}

export async function an_event_for_another_connection_is_ignored(page, backend) {
  serveApp(backend);
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  const calls = backend.calls("test_logins").length;

  await backend.emit("test-login", backend.snapshot("test_login_event_rejected")); // acme-staging's
  // Give the page time to (wrongly) react, then check it did not.
  await page.waitForTimeout(300);
  assert.deepEqual(backend.calls("test_login"), []);
  assert.equal(backend.calls("test_logins").length, calls, "no list refresh either");
  await seeText(panel, "No result on screen.");

  // This connection's event still comes through afterwards.
  await backend.emit("test-login", backend.snapshot("test_login_event_created"));
  await seeText(panel.getByTestId("outcome"), "Signed in: a new user was created (just-in-time provisioning).");
  assert.deepEqual(backend.calls("test_login"), [{ id: 1 }]);
}

export async function an_earlier_login_opens_from_the_list(page, backend) {
  serveApp(backend);
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  const earlier = panel.getByTestId("earlier-logins");
  await seeText(earlier.locator('tr[data-login-id="1"]'), "Created");
  await earlier.getByRole("button", { name: /Open test login #1 / }).click();
  await seeText(panel.getByTestId("outcome"), "Signed in: a new user was created (just-in-time provisioning).");
  // Created from nothing: every field is new.
  await seeText(panel.getByTestId("user-diff").locator('tr[data-field="email"]'), "(empty) → ada@example.com");
}

export async function start_error_is_shown(page, backend) {
  serveApp(backend, { status: backend.snapshot("app_status_port_in_use_secret_store_error") });
  // What Desktop::login_url says while the embedded SP is down.
  backend.fail("open_login", {
    code: "port_in_use",
    message: "the embedded SP is not running on port 7777; pick a free port first",
  });
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  await seeText(panel.getByRole("status").filter({ hasText: "embedded SP is not running" }), "(port 7777)");
  await panel.getByRole("button", { name: "Start test login" }).click();
  const alert = panel.getByRole("alert").filter({ hasText: "Could not start the test login" });
  await seeText(alert, "Port in use: the embedded SP is not running on port 7777; pick a free port first");
  await seeText(alert, "Error code: port_in_use");
}

export async function a_pasted_response_is_analyzed_as_a_dry_run(page, backend) {
  serveApp(backend);
  backend.on("analyze_response", () => backend.snapshot("analyze_result"));
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  await panel.getByText("Analyze a captured SAMLResponse").click();
  const xml = testdataText("analyze_response.xml");
  const analyze = panel.getByRole("button", { name: "Analyze" });
  assert.ok(await analyze.isDisabled(), "nothing to analyze yet");
  await panel.getByRole("textbox", { name: "SAMLResponse" }).fill(xml);
  await analyze.click();

  assert.deepEqual(await waitForCall(backend, "analyze_response"), {
    name: "acme",
    response: xml,
    options: { judge_as: { kind: "connection" }, judge_at: { kind: "now" } },
  });
  const result = panel.getByTestId("test-login-result");
  const outcome = result.getByTestId("outcome");
  await seeText(outcome, "Would succeed: the user's record was updated");
  await seeText(outcome, "Dry run");
  await seeText(outcome, "Judged as this connection's SP: SP entityID https://app.example.com/saml/metadata");
  await seeText(outcome, "InResponseTo accepted as none (unsolicited)");
  await seeText(result.getByTestId("user-record"), "User record (as it would be)");
  await seeText(result.getByTestId("user-diff"), "Changes it would make");
  await seeText(result.getByTestId("user-diff").locator('tr[data-field="family_name"]'), "King → Lovelace");
  assert.deepEqual(backend.calls("test_login"), [], "nothing stored is opened");

  // "A given instant" sends that instant (local time in the box, UTC on the wire).
  await panel.getByLabel(/A given instant/).check();
  await panel.getByLabel("Instant (your local time)").fill("2026-01-15T10:01:00");
  await analyze.click();
  const second = await waitForCall(backend, "analyze_response", (a) => a.options.judge_at.kind === "instant");
  const expected = await page.evaluate(() => new Date("2026-01-15T10:01:00").toISOString());
  assert.equal(second.options.judge_at.at, expected);
}

export async function a_capture_is_judged_as_the_sp_it_was_addressed_to_at_its_own_time(page, backend) {
  serveApp(backend);
  backend.on("response_addressing", () => backend.snapshot("response_addressing"));
  backend.on("analyze_response", () => backend.snapshot("analyze_result_addressed"));
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  await panel.getByText("Analyze a captured SAMLResponse").click();
  const xml = testdataText("analyze_response.xml");
  await panel.getByRole("textbox", { name: "SAMLResponse" }).fill(xml);
  await panel.getByLabel(/The SP it was addressed to/).check();
  const entity = panel.getByLabel("SP entityID (Audience)");
  const acs = panel.getByLabel("ACS URL (Destination and Recipient)");
  // Prefilled from the response (the core reads it), and shown as such.
  await waitForCall(backend, "response_addressing");
  await page.waitForFunction(() => document.querySelector("#tl-as-entity")?.value.startsWith("https://"));
  assert.equal(await entity.inputValue(), "https://app.example.com/saml/metadata");
  assert.equal(await acs.inputValue(), "https://app.example.com/saml/acs");
  await seeText(panel.getByTestId("judge-as-addressed"), "From the response.");
  await panel.getByLabel(/The response's own time/).check();
  await panel.getByRole("button", { name: "Analyze" }).click();
  assert.deepEqual((await waitForCall(backend, "analyze_response")).options, {
    judge_as: {
      kind: "addressed",
      entity_id: "https://app.example.com/saml/metadata",
      acs_url: "https://app.example.com/saml/acs",
    },
    judge_at: { kind: "response" },
  });
  const judged = panel.getByTestId("judged");
  await seeText(judged, "Judged as the SP it was addressed to");
  await seeText(judged, "taken from the response, as you asked");
  await seeText(judged, "the Assertion's IssueInstant");
}

export async function an_analyze_error_is_shown(page, backend) {
  serveApp(backend);
  // The connection was removed meanwhile (in another window, or with the CLI).
  const error = backend.snapshot("error_not_found");
  error.message = error.message.replace('"nope"', '"acme"');
  backend.fail("analyze_response", error);
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  await panel.getByText("Analyze a captured SAMLResponse").click();
  const box = panel.getByRole("textbox", { name: "SAMLResponse" });
  const analyze = panel.getByRole("button", { name: "Analyze" });
  await box.fill("   \n");
  assert.ok(await analyze.isDisabled(), "blank input is not sent");
  await box.fill(testdataText("analyze_response.xml"));
  await analyze.click();
  const alert = panel.getByRole("alert").filter({ hasText: "Could not analyze the response" });
  await seeText(alert, 'there is no connection named "acme"');
  await seeText(alert, "Error code: not_found");
  assert.equal(await panel.getByTestId("test-login-result").count(), 0);
}

export async function no_system_browser_says_so_with_the_login_url_to_copy(page, backend) {
  const state = serveApp(backend);
  // What src-tauri/src/os.rs answers when xdg-open finds no browser.
  backend.fail("open_login", {
    code: "no_browser",
    message: "xdg-open found no browser to open the sign-in page (exit status: 3)",
    detail: "opener_failed",
    hint: "Open the login URL in a browser yourself (copy it), set a default browser (xdg-settings or $BROWSER), or sign in in an app window instead.",
  });
  backend.on("login_url", ({ name }) => `http://127.0.0.1:7777/saml/${name}/login`);
  await openApp(page);
  const panel = await openTestLogin(page, backend, "acme");
  await panel.getByRole("button", { name: "System browser" }).click();
  await panel.getByRole("button", { name: "Start test login" }).click();
  assert.deepEqual(await waitForCall(backend, "open_login"), { name: "acme", in_app: false });

  const box = panel.getByTestId("no-browser");
  await seeText(box, "No browser opened the sign-in page");
  await seeText(box, "found no browser");
  await seeText(panel.getByTestId("no-browser-url"), LOGIN_URL);
  assert.equal(await panel.getByText("Waiting for the IdP to post to the ACS…").count(), 0, "no endless wait");
  await box.getByRole("button", { name: "Copy login URL" }).click();
  await seeText(box, "✓ Copied");
  assert.equal(state.clipboard, LOGIN_URL);
}
