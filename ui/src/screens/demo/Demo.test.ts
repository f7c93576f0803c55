import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";
import type {
  ConnectionView, DemoCatalog, DemoIdpView, DemoReset, DemoSetup, DemoStory, Persona, ScenarioResult,
  StoryStepResult,
} from "../../lib/generated/types";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api } from "../../lib/apiMock";
vi.mock("@tauri-apps/plugin-dialog", () => ({ save: vi.fn() }));

import Demo from "./Demo.svelte";
import Connections from "../Connections.svelte";
import { nav, go } from "../../lib/stores/nav.svelte";
import { toasts } from "../../lib/stores/toasts.svelte";
import fixture from "./fixture.json";
import { clearDemoSession } from "./session.svelte";

// The demo IdP and its catalog, shared with the browser tests' fake backend (e2e/browser/app.mjs).
const idp = fixture.idp as DemoIdpView;
const catalog = fixture.catalog as DemoCatalog;
const [priya, marcus] = catalog.personas;

function result(over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    scenario: "wrong-audience",
    verdict: "rejected",
    failed_check: "audience",
    outcome: "rejected",
    user: null,
    expected: { verdict: "rejected", failed_check: "audience", scim_status: null },
    as_expected: true,
    intended: "Rejected at the audience check",
    summary: {
      happened: "Rejected at the audience check: the response was not accepted.",
      why: "The Audience is the production SP's entityID.",
      change: "Set the IdP app's Audience to this SP's entityID.",
    },
    diff: [],
    persona: priya.email,
    connection: "demo",
    test_login_id: 7,
    scim: [],
    checks: [],
    ...over,
  };
}

function story(done: { mover?: boolean; leaver?: boolean } = {}): DemoStory {
  const steps = catalog.story.steps.map((s) => ({ ...s, done: s.step === "mover" ? !!done.mover : s.step === "leaver" ? !!done.leaver : false }));
  return { ...catalog.story, steps };
}


beforeEach(() => {
  vi.clearAllMocks();
  clearDemoSession();
  toasts.items.length = 0;
  go("demo");
  api.demoIdp.mockResolvedValue(idp);
  api.demoCatalog.mockResolvedValue(catalog);
});

describe("Demo", () => {
  test("shows the demo IdP, the scenarios and the people", async () => {
    render(Demo);
    expect((await screen.findByTestId("demo-entity-id")).textContent).toBe("urn:handshake:demo-idp");
    expect(screen.getByText("http://127.0.0.1:7777/demo-idp/metadata")).toBeTruthy();
    const table = screen.getByTestId("scenario-table");
    expect(within(table).getByText("Wrong audience")).toBeTruthy();
    // The intended outcome in the core's terms (the words a result starts with).
    expect(within(table).getByText("Rejected at the audience check")).toBeTruthy();
    const people = screen.getByTestId("persona-table");
    expect(within(people).getByText("Priya Shah")).toBeTruthy();
    expect(within(people).getByText("everyone, engineering")).toBeTruthy();
  });

  test("the settings form starts from the IdP's settings and saves them", async () => {
    api.demoIdp.mockResolvedValue({ ...idp, style: "okta", style_label: "Okta", sign: "both" });
    api.setDemoIdp.mockResolvedValue({ ...idp, style: "okta", style_label: "Okta", sign: "both", encrypt: true });
    render(Demo);
    await screen.findByTestId("demo-entity-id");
    expect((screen.getByLabelText("Signs") as HTMLSelectElement).value).toBe("both");
    expect((screen.getByLabelText("Style") as HTMLSelectElement).value).toBe("okta");
    const save = screen.getByRole("button", { name: "Save settings" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    await fireEvent.click(screen.getByLabelText("Encrypt assertions"));
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    expect(api.setDemoIdp).toHaveBeenCalledWith({ style: "okta", sign: "both", encrypt: true });
  });

  test("create calls createDemo with the chosen style and opens the Test login tab", async () => {
    api.createDemo.mockResolvedValue({
      idp,
      connection: { name: "demo" } as ConnectionView,
      login_url: "http://127.0.0.1:8080/saml/demo/login",
      created: true,
      metadata_refreshed: false,
    } satisfies DemoSetup);
    render(Demo);
    await screen.findByTestId("demo-entity-id");
    await fireEvent.change(screen.getByLabelText("IdP style (claim names)"), { target: { value: "okta" } });
    await fireEvent.click(screen.getByTestId("create-demo"));
    expect(api.createDemo).toHaveBeenCalledWith("okta");
    await waitFor(() => expect(nav.view).toBe("connection"));
    expect(nav.name).toBe("demo");
    expect(nav.tab).toBe("test");
  });

  test("the empty Connections screen creates the demo connection too", async () => {
    api.listConnections.mockResolvedValue([]);
    api.createDemo.mockResolvedValue({
      idp,
      connection: { name: "demo" } as ConnectionView,
      login_url: "",
      created: true,
      metadata_refreshed: false,
    } satisfies DemoSetup);
    go("connections");
    render(Connections);
    await screen.findByText("No connections yet");
    await fireEvent.click(screen.getByTestId("create-demo"));
    expect(api.createDemo).toHaveBeenCalledWith(null);
    await waitFor(() => expect(nav.view).toBe("connection"));
    expect([nav.name, nav.tab]).toEqual(["demo", "test"]);
  });

  test("a failed create is told and stays put", async () => {
    api.createDemo.mockRejectedValue(new Error("the secret store is locked"));
    render(Demo);
    await screen.findByTestId("demo-entity-id");
    await fireEvent.click(screen.getByTestId("create-demo"));
    await waitFor(() => expect(toasts.items.some((t) => t.message.includes("secret store is locked"))).toBe(true));
    expect(nav.view).toBe("demo");
  });

  test("running a scenario shows its result inline, with a link to the test login", async () => {
    api.runScenario.mockResolvedValue(result());
    render(Demo);
    await screen.findByTestId("scenario-table");
    await fireEvent.change(screen.getByLabelText("Sign in as"), { target: { value: "demo-0002" } });
    await fireEvent.click(screen.getByTestId("run-scenario-wrong-audience"));
    expect(api.runScenario).toHaveBeenCalledWith({ scenario: "wrong-audience", persona: "demo-0002", skew_minutes: null });
    const shown = await screen.findByTestId("scenario-result-wrong-audience");
    expect(shown.dataset.verdict).toBe("rejected");
    expect(within(shown).getByText("Rejected", { selector: ".badge" })).toBeTruthy();
    expect(within(shown).getByText("audience")).toBeTruthy();
    expect(within(shown).getByText("as intended")).toBeTruthy();
    // The core's sentences: what happened, why, what to change.
    const sentence = within(shown).getByTestId("verdict-sentence").textContent ?? "";
    expect(sentence).toContain("Rejected at the audience check: the response was not accepted.");
    expect(sentence).toContain("The Audience is the production SP's entityID.");
    expect(sentence).toContain("How to fix: Set the IdP app's Audience");
    await fireEvent.click(within(shown).getByRole("button", { name: "Open result" }));
    // That exact test login, not just the tab.
    expect([nav.view, nav.name, nav.tab, nav.testLogin]).toEqual(["connection", "demo", "test", 7]);
  });

  test("scenario results and story progress stay when the screen is left and opened again", async () => {
    api.runScenario.mockResolvedValue(result());
    const first = render(Demo);
    await screen.findByTestId("scenario-table");
    await fireEvent.click(screen.getByTestId("run-scenario-wrong-audience"));
    await screen.findByTestId("scenario-result-wrong-audience");
    first.unmount();
    render(Demo);
    expect(await screen.findByTestId("scenario-result-wrong-audience")).toBeTruthy();
  });

  test("clock-skew sends its minutes", async () => {
    api.runScenario.mockResolvedValue(result({ scenario: "clock-skew", failed_check: "time_window" }));
    render(Demo);
    await screen.findByTestId("scenario-table");
    await fireEvent.input(screen.getByLabelText("IdP clock ahead (min)"), { target: { value: "12" } });
    await fireEvent.click(screen.getByTestId("run-scenario-clock-skew"));
    expect(api.runScenario).toHaveBeenCalledWith({ scenario: "clock-skew", persona: null, skew_minutes: 12 });
  });

  test("deactivate calls setDemoPersonaActive and reloads", async () => {
    api.setDemoPersonaActive.mockResolvedValue({ ...priya, active: false });
    render(Demo);
    await screen.findByTestId("persona-table");
    await fireEvent.click(screen.getByRole("button", { name: "Deactivate Priya Shah" }));
    expect(api.setDemoPersonaActive).toHaveBeenCalledWith("demo-0001", false);
    await waitFor(() => expect(api.demoCatalog).toHaveBeenCalledTimes(2));
  });

  test("story mode: each step is one core call, ticked, with its result, diff and moral inline", async () => {
    const promoted: StoryStepResult = {
      step: "mover",
      mode: "jit",
      result: result({
        scenario: "mover",
        verdict: "accepted",
        failed_check: null,
        outcome: "updated",
        expected: { verdict: "accepted", failed_check: null, scim_status: null },
        intended: "Signed in",
        summary: { happened: "Signed in: the user's record was updated from the IdP's claims.", why: null, change: null },
        diff: [{ field: "roles", before: ["member"], after: ["admin", "developer"] }],
      }),
      moral: "Priya's department, title and roles follow the IdP at each login.",
      story: story({ mover: true }),
    };
    api.runStoryStep.mockImplementation(async () => {
      api.demoCatalog.mockResolvedValue({ ...catalog, story: story({ mover: true }) });
      return promoted;
    });
    render(Demo);
    await screen.findByTestId("story");
    // One person, one set of parentheses at most.
    expect(screen.getByTestId("story").textContent).not.toContain("((");
    expect(screen.getByTestId("story-step-mover").textContent).toContain("moves to Engineering");
    expect(screen.getByTestId("story-step-leaver").textContent).toContain("Intended: Rejected at the status check");
    expect(screen.getByTestId("story-step-mover").dataset.done).toBe("false");
    await fireEvent.click(await screen.findByRole("button", { name: "Promote Priya, then sign in" }));
    expect(api.runStoryStep).toHaveBeenCalledWith("mover", "jit");
    const shown = await screen.findByTestId("story-result");
    expect(shown.textContent).toContain("follow the IdP");
    expect(within(shown).getByTestId("story-diff").textContent).toContain("developer");
    expect(await screen.findByRole("button", { name: "Sign in again" })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("story-step-mover").dataset.done).toBe("true"));
    await waitFor(() => expect(api.demoCatalog).toHaveBeenCalledTimes(2)); // the people reload
  });

  test("hybrid runs the steps with SCIM; side by side shows both columns", async () => {
    const step = (mode: "jit" | "hybrid", as_expected: boolean): StoryStepResult => ({
      step: "leaver",
      mode,
      result: result({
        scenario: "leaver",
        as_expected,
        summary: { happened: mode === "hybrid" ? "Denied: SCIM de-provisioned her" : "Rejected at the IdP", why: null, change: null },
      }),
      moral: mode === "hybrid" ? "SCIM deactivated the account." : "The account stays.",
      story: story({}),
    });
    api.runStoryStep.mockResolvedValue(step("hybrid", true));
    api.runStorySideBySide.mockResolvedValue([
      { mode: "jit", steps: [step("jit", true)] },
      { mode: "hybrid", steps: [step("hybrid", true)] },
    ]);
    render(Demo);
    const modes = await screen.findByTestId("story-mode");
    await fireEvent.click(within(modes).getByRole("button", { name: "Hybrid: SCIM + JIT" }));
    await fireEvent.click(screen.getByTestId("story-leaver"));
    expect(api.runStoryStep).toHaveBeenCalledWith("leaver", "hybrid");
    await fireEvent.click(screen.getByTestId("story-run-both"));
    expect((await screen.findByTestId("story-column-jit")).textContent).toContain("The account stays.");
    expect(screen.getByTestId("story-column-hybrid").textContent).toContain("SCIM deactivated the account.");
  });

  test("the leaver's refusal is the step's intended outcome, told in the same words", async () => {
    const leaver: StoryStepResult = {
      step: "leaver",
      mode: "jit",
      result: result({
        scenario: "leaver",
        failed_check: "status",
        expected: { verdict: "rejected", failed_check: "status", scim_status: null },
        intended: "Rejected at the status check",
        summary: {
          happened: "Rejected at the status check: the response was not accepted.",
          why: "The IdP answered RequestDenied.",
          change: "Activate the person at the IdP.",
        },
      }),
      moral: "The IdP refused Priya, and her account is still in Handshake's directory.",
      story: story({ leaver: true }),
    };
    api.runStoryStep.mockResolvedValue(leaver);
    render(Demo);
    await fireEvent.click(await screen.findByTestId("story-leaver"));
    const shown = await screen.findByTestId("story-result");
    expect(within(shown).getByText("as intended")).toBeTruthy();
    expect(within(shown).queryByText("not as intended")).toBeNull();
    expect(within(shown).getByTestId("verdict-sentence").textContent).toContain("Rejected at the status check");
  });

  test("a story an earlier run left half-told offers to start over (a reset of the demo data)", async () => {
    api.demoCatalog.mockResolvedValue({ ...catalog, story: { ...story({ mover: true }), fresh: false } });
    api.resetDemo.mockResolvedValue({ users_removed: 1, test_logins_removed: 2, personas: 6 } satisfies DemoReset);
    render(Demo);
    const note = await screen.findByTestId("story-not-fresh");
    expect(screen.getByTestId("story-step-mover").dataset.done).toBe("true");
    api.demoCatalog.mockResolvedValue(catalog);
    await fireEvent.click(within(note).getByRole("button", { name: "Start over" }));
    await fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Start over" }));
    expect(api.resetDemo).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByTestId("story-not-fresh")).toBeNull());
    expect(screen.getByTestId("story-step-mover").dataset.done).toBe("false");
  });

  test("edit saves every field through setDemoPersona", async () => {
    api.setDemoPersona.mockImplementation(async (p: Persona) => p);
    render(Demo);
    await screen.findByTestId("persona-table");
    await fireEvent.click(screen.getByRole("button", { name: "Edit Marcus Chen" }));
    await fireEvent.input(screen.getByLabelText("Groups"), { target: { value: "everyone, engineering, oncall" } });
    await fireEvent.input(screen.getByLabelText("Extra attribute 1: values"), { target: { value: "contractor" } });
    await fireEvent.click(screen.getByTestId("save-persona"));
    await waitFor(() => expect(api.setDemoPersona).toHaveBeenCalledTimes(1));
    const sent = api.setDemoPersona.mock.calls[0][0] as Persona;
    expect(sent).toMatchObject({ id: "demo-0002", groups: ["everyone", "engineering", "oncall"] });
    expect(sent.extra).toEqual([{ name: "employeeType", values: ["contractor"] }]);
  });

  test("remove asks first", async () => {
    api.removeDemoPersona.mockResolvedValue(null);
    render(Demo);
    await screen.findByTestId("persona-table");
    await fireEvent.click(screen.getByRole("button", { name: "Remove Marcus Chen" }));
    expect(api.removeDemoPersona).not.toHaveBeenCalled();
    await fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Remove" }));
    expect(api.removeDemoPersona).toHaveBeenCalledWith("demo-0002");
  });

  test("reset confirms, then shows the counts", async () => {
    api.resetDemo.mockResolvedValue({ users_removed: 3, test_logins_removed: 9, personas: 6 } satisfies DemoReset);
    render(Demo);
    await screen.findByTestId("persona-table");
    await fireEvent.click(screen.getByTestId("reset-demo"));
    expect(api.resetDemo).not.toHaveBeenCalled();
    const dlg = screen.getByRole("alertdialog");
    expect(within(dlg).getByText("Reset the demo data?")).toBeTruthy();
    await fireEvent.click(within(dlg).getByRole("button", { name: "Cancel" }));
    expect(api.resetDemo).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("reset-demo"));
    await fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Reset" }));
    expect(api.resetDemo).toHaveBeenCalledTimes(1);
    const done = await screen.findByTestId("reset-result");
    expect(done.textContent?.replace(/\s+/g, " ")).toContain("3 demo users and 9 test logins removed; 6 default people restored");
  });
});
