// Smoke test of the real app: the window opens on the embedded UI and shows its content,
// and the app process got the environment scripts/test-desktop.sh prepared.
// (The login flow against SimpleSAMLphp belongs in flow.test.mjs, with ctx.env's IdP.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export async function window_opens_and_shows_the_ui(browser, ctx) {
  // The runner already waited for ctx.readySelector and measured the launch.
  const root = await ctx.waitFor("main, h1");
  assert.ok((await root.getText()).trim().length > 0, "main/h1 shows some text");
  assert.match(await browser.getTitle(), /Handshake/);
  // A window that is really there: the webview has a size.
  const size = await browser.execute(() => [window.innerWidth, window.innerHeight]);
  assert.ok(size[0] > 100 && size[1] > 100, `webview size ${size}`);
  console.log(`     screenshot: ${await ctx.screenshot("desktop-smoke")}`);
}

export async function app_runs_with_the_test_state_and_session_bus(_browser, ctx) {
  // tauri-driver -> WebKitWebDriver -> app must pass our environment through: the scratch
  // catalog, the secret store, the SP port, and the D-Bus session that has the keyring.
  const app = ctx.launch.memory_at_ready.processes?.[0];
  assert.ok(app, "the app process was found in /proc");
  const env = Object.fromEntries(
    readFileSync(`/proc/${app.pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  for (const k of ["HANDSHAKE_DB", "HANDSHAKE_SECRET_STORE", "HANDSHAKE_PORT", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY"]) {
    assert.equal(env[k], process.env[k], `${k} of the app process`);
  }
}

export async function core_reaches_the_keyring_and_runs_the_sp(browser, ctx) {
  // Straight through the app's IPC (what the UI's first load calls): the real Secret
  // Service of the test session must be usable, and the embedded SP up on HANDSHAKE_PORT.
  const status = await browser.executeAsync((done) => {
    window.__TAURI_INTERNALS__.invoke("app_status").then(done, (e) => done({ invoke_error: e }));
  });
  assert.equal(status.invoke_error, undefined, `app_status failed: ${JSON.stringify(status.invoke_error)}`);
  assert.equal(status.secret_store_error ?? null, null, `secret store: ${JSON.stringify(status.secret_store_error)}`);
  assert.equal(status.server?.running, true, `embedded SP: ${JSON.stringify(status.server)}`);
  assert.equal(String(status.server.port), String(ctx.env.spPort));
  console.log(`     secret store: ${status.secret_store}; SP: ${status.server.base_url}`);
}
