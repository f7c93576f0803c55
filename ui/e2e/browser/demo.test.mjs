// The Demo IdP screen (issue #13): a scenario's inline result reads as the core's sentences
// and "Open result" opens that exact test login with the same words; story mode ticks its
// steps and keeps its results when the screen is left and opened again.
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";
import { seeText, serveApp, waitForCall } from "./app.mjs";

/** A scenario result in the core's shape, for the fake backend's stored test login `detail`. */
function resultOf(detail, over = {}) {
  const r = detail.login.report;
  return {
    scenario: "wrong-audience",
    verdict: "rejected",
    failed_check: r.failed_check,
    outcome: r.outcome,
    user: null,
    expected: { verdict: "rejected", failed_check: "audience" },
    as_expected: true,
    intended: "Rejected at the audience check",
    summary: detail.summary,
    diff: r.diff,
    persona: "priya.shah@northwind.example",
    // The fake backend knows the snapshot's connections, not the demo one.
    connection: detail.login.connection,
    test_login_id: detail.login.id,
    ...over,
  };
}

export async function open_result_shows_that_test_login_with_the_same_sentence(page, backend) {
  serveApp(backend);
  const detail = backend.snapshot("test_login_rejected");
  backend.on("run_scenario", () => resultOf(detail));
  await openApp(page);
  await page.getByRole("button", { name: "Demo IdP", exact: true }).click();
  await page.getByTestId("run-scenario-wrong-audience").click();
  const row = page.getByTestId("scenario-result-wrong-audience");
  await seeText(row, "as intended");
  await seeText(row.getByTestId("verdict-sentence"), detail.summary.happened);
  await row.getByRole("button", { name: "Open result" }).click();

  const result = page.getByTestId("test-login-result");
  await result.waitFor();
  assert.equal(await result.getAttribute("data-test-login-id"), String(detail.login.id), "that exact test login");
  await waitForCall(backend, "test_login", (a) => a.id === detail.login.id);
  assert.equal((await page.getByTestId("outcome-headline").innerText()).trim(), detail.summary.happened, "the same words");
  assert.equal(await page.getByText("No result on screen").count(), 0);
}

export async function story_ticks_steps_and_keeps_them_across_screens(page, backend) {
  serveApp(backend);
  const detail = backend.snapshot("test_login_rejected");
  backend.on("run_story_step", ({ step }) => {
    const catalog = backend.state.demoCatalog;
    const story = { ...catalog.story, fresh: false };
    story.steps = story.steps.map((s) => (s.step === step ? { ...s, done: true } : s));
    backend.state.demoCatalog = { ...catalog, story };
    return {
      step,
      result: resultOf(detail, {
        scenario: step,
        failed_check: "status",
        expected: { verdict: "rejected", failed_check: "status" },
        intended: "Rejected at the status check",
        summary: { happened: "Rejected at the status check: the response was not accepted.", why: "The IdP refused.", change: null },
      }),
      moral: "The IdP refused Priya, and her account is still in Handshake's directory.",
      story,
    };
  });
  await openApp(page);
  const demo = page.getByRole("button", { name: "Demo IdP", exact: true });
  // The catalog the fake answers (fixture.json), kept in state so a step can change it.
  const first = backend.handlers.get("demo_catalog")();
  backend.state.demoCatalog = first;
  backend.on("demo_catalog", () => backend.state.demoCatalog);
  await demo.click();
  const story = page.getByTestId("story");
  await story.waitFor();
  assert.ok(!(await story.innerText()).includes("(("), "no double parentheses after the person");
  await page.getByTestId("story-leaver").click();
  const shown = page.getByTestId("story-result");
  await seeText(shown, "Rejected at the status check");
  await seeText(shown, "as intended");
  assert.equal(await shown.getByText("not as intended").count(), 0);
  assert.equal(await page.getByTestId("story-step-leaver").getAttribute("data-done"), "true");

  // Away and back: the result and the tick are still there.
  await page.getByRole("button", { name: "Users", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
  await demo.click();
  await seeText(page.getByTestId("story-result"), "Rejected at the status check");
  assert.equal(await page.getByTestId("story-step-leaver").getAttribute("data-done"), "true");
}
