import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import ResultView from "./ResultView.svelte";
import { createdReport, loginDetail, mappingDocument, rejectedReport, xmlLines } from "./fixtures";
import { nav } from "../../lib/stores/nav.svelte";
import { clearMappingStates, mappingStateFor } from "../detail/mappingState.svelte";
import { api } from "../../lib/apiMock";

describe("ResultView", () => {
  test("a rejected response shows the failed check first, with expected, actual and hint", () => {
    render(ResultView, { detail: loginDetail(12, rejectedReport()) });
    const root = screen.getByTestId("test-login-result");
    expect(root.getAttribute("data-test-login-id")).toBe("12");

    const outcome = screen.getByTestId("outcome");
    // The core's sentence (Summary.happened), the words the Demo screen's inline row shows too.
    expect(screen.getByTestId("outcome-headline").textContent?.trim()).toBe(
      "Rejected at the audience check: the response was not accepted.",
    );
    expect(outcome.textContent).toContain("AudienceRestriction names the SP entityID exactly");
    expect(outcome.textContent).toContain("https://wrong.example/sp");
    expect(outcome.textContent).toContain("Set the Audience URI in the IdP to the SP entityID");

    const rows = within(screen.getByTestId("checks")).getAllByRole("row").filter((r) => r.dataset.check);
    expect(rows[0].dataset.check).toBe("audience");
    expect(rows[0].dataset.status).toBe("fail");
    expect(rows[0].textContent).toContain("http://127.0.0.1:7777/saml/okta-prod/metadata");
    expect(rows[0].textContent).toContain("https://wrong.example/sp");
    // The hint sits under the failed check, with its expected and actual values.
    expect(rows[0].textContent).toContain("How to fix");
    expect(rows[0].querySelector('[data-value="expected"]')?.textContent).toContain("saml/okta-prod/metadata");
    expect(rows).toHaveLength(13);
    // No user section for a rejected response.
    expect(screen.queryByTestId("user-record")).toBeNull();
  });

  test("a check that found several problems lists each, with each fix", () => {
    const report = rejectedReport();
    const audience = report.checks.find((c) => c.id === "audience")!;
    audience.problems = [
      { violation: "audience_mismatch", expected: "urn:sp", actual: 'Audience "https://first.example"', hint: "Fix the first restriction" },
      { violation: "audience_mismatch", expected: "urn:sp", actual: 'Audience "https://second.example"', hint: "Fix the second restriction" },
    ];
    render(ResultView, { detail: loginDetail(13, report) });
    const row = within(screen.getByTestId("checks")).getAllByRole("row").find((r) => r.dataset.check === "audience")!;
    const found = [...row.querySelectorAll("li[data-problem]")].map((li) => li.textContent);
    expect(found).toEqual(["urn:sp", "urn:sp", 'Audience "https://first.example"', 'Audience "https://second.example"']);
    const fixes = row.querySelectorAll(".hint li");
    expect([...fixes].map((li) => li.textContent)).toEqual(["Fix the first restriction", "Fix the second restriction"]);
  });

  test("a trace without notes renders (the core leaves empty notes out of the JSON)", () => {
    const report = createdReport();
    delete report.trace!.notes;
    render(ResultView, { detail: loginDetail(6, report) });
    expect(screen.getByTestId("mapping-trace").textContent).toContain("Fields");
  });

  test("a created user shows the record and the diff", () => {
    render(ResultView, { detail: loginDetail(5, createdReport()) });
    expect(screen.getByTestId("outcome").textContent).toContain("a new user was created");
    const rec = screen.getByTestId("user-record");
    expect(rec.textContent).toContain("ada@acme.com");
    expect(rec.textContent).toContain("developer");
    expect(rec.textContent).toContain("R&D");
    const diff = screen.getByTestId("user-diff");
    const email = diff.querySelector('tr[data-field="email"]');
    expect(email?.textContent).toContain("(empty)");
    expect(email?.textContent).toContain("ada@acme.com");
    expect(diff.querySelector('tr[data-field="roles"]')?.textContent).toContain("admin, developer");
    expect(screen.getByTestId("mapping-trace").textContent).toContain('grant "admin"');
    expect(screen.getByTestId("attributes").textContent).toContain("urn:oid:2.5.4.4");
  });

  test("signed XML lines are marked", () => {
    render(ResultView, { report: createdReport(), xml: xmlLines });
    const xml = screen.getByTestId("assertion-xml");
    const lines = xml.querySelectorAll(".line");
    expect(lines).toHaveLength(xmlLines.length);
    const signed = xml.querySelectorAll('.line[data-signed="true"]');
    expect(signed).toHaveLength(3);
    expect(signed[0].textContent).toContain("saml:Assertion");
    expect(lines[0].classList.contains("signed")).toBe(false);
    expect(xml.textContent).toContain("Signed: covered by a verified signature");
  });

  test("long XML is capped until asked", async () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ depth: 1, text: `<a n="${i}"/>`, signed: false, encrypted: false }));
    render(ResultView, { report: createdReport(), xml: many });
    const xml = screen.getByTestId("assertion-xml");
    expect(xml.querySelectorAll(".line")).toHaveLength(400);
    screen.getByRole("button", { name: "Show all 1000 lines" }).click();
    await vi.waitFor(() => expect(xml.querySelectorAll(".line")).toHaveLength(1000));
  });

  test("a login denied for a missing attribute offers the one-click fix: the Mapping tab with that row changed", async () => {
    clearMappingStates();
    const report = createdReport();
    report.outcome = "denied";
    report.user = null;
    report.diff = [];
    report.failed_check = "missing_attribute";
    report.stopped_by = { stop: "missing_attribute", code: "missing_attribute", message: "required field email is empty", hint: "Map email from the attribute mail" };
    report.mapping_fix = { field: "email", attribute: "mail", value: "ada@acme.com" };
    render(ResultView, { detail: loginDetail(21, report) });
    // regression: Svelte drops a space at the start of a block; the hint and where to fix it
    // read as two words ("…mail (Mapping tab)"), not "…mail(Mapping tab)".
    expect(document.body.textContent).toMatch(/Map email from the attribute mail \(/);
    const button = screen.getByRole("button", { name: "Map email from mail" });
    api.mapping.mockResolvedValue(mappingDocument());
    await fireEvent.click(button);
    expect(nav).toMatchObject({ view: "connection", name: "okta-prod", tab: "mapping" });
    // The Mapping tab loads the connection's mapping with the fix applied, unsaved.
    const m = mappingStateFor("okta-prod");
    await m.load();
    expect(m.draft?.fields[0].source).toMatchObject({ type: "attribute", name: "mail" });
    expect(m.dirty).toBe(true);
    expect(m.activeField).toBe(0);
    expect(api.setMapping).not.toHaveBeenCalled();
  });

  test("no fix button without a typed fix", () => {
    render(ResultView, { detail: loginDetail(22, rejectedReport()) });
    expect(screen.queryByTestId("mapping-fix")).toBeNull();
  });
});
