// Smoke tests: the built UI loads in a browser with the faked IPC, and the fake itself
// behaves like Tauri's (commands, errors, events). Generic on purpose: they hold for the
// placeholder UI and for the real one.
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";

export async function app_loads_and_shows_its_main_content(page) {
  await openApp(page);
  assert.ok((await page.title()).length > 0, "the document has a title");
  const root = page.locator("main, h1").first();
  await root.waitFor({ state: "visible" });
  assert.ok(((await root.textContent()) ?? "").trim().length > 0, "main/h1 shows some text");
}

export async function ipc_fake_answers_rejects_and_delivers_events(page, backend) {
  backend.on("e2e_echo", (args) => ({ echoed: args }));
  backend.fail("e2e_fail", { code: "not_found", message: "no such connection" });
  await openApp(page);

  // What @tauri-apps/api's invoke() does: window.__TAURI_INTERNALS__.invoke.
  const echoed = await page.evaluate(() => window.__TAURI_INTERNALS__.invoke("e2e_echo", { name: "acme", n: 1 }));
  assert.deepEqual(echoed, { echoed: { name: "acme", n: 1 } });
  assert.deepEqual(backend.calls("e2e_echo"), [{ name: "acme", n: 1 }]);

  // A command error arrives as the Err value itself, as with Tauri.
  const err = await page.evaluate(() => window.__TAURI_INTERNALS__.invoke("e2e_fail", {}).then(() => null, (e) => e));
  assert.deepEqual(err, { code: "not_found", message: "no such connection" });
  const unknown = await page.evaluate(() => window.__TAURI_INTERNALS__.invoke("e2e_nobody", {}).then(() => null, (e) => e));
  assert.equal(unknown, "Command e2e_nobody not found");

  // What @tauri-apps/api/event's listen() does, then an event from the backend.
  await page.evaluate(() => {
    const I = window.__TAURI_INTERNALS__;
    window.__got = [];
    const handler = I.transformCallback((e) => window.__got.push(e));
    return I.invoke("plugin:event|listen", { event: "e2e-event", target: { kind: "Any" }, handler });
  });
  assert.equal(await backend.listening("e2e-event"), 1);
  await backend.emit("e2e-event", { outcome: "created" });
  const got = await page.evaluate(() => window.__got);
  assert.equal(got.length, 1);
  assert.equal(got[0].event, "e2e-event");
  assert.deepEqual(got[0].payload, { outcome: "created" });
}
