// The Node half of the Tauri IPC fake for the browser tests: a small, table-driven stand-in
// for the app's Rust commands (src-tauri/src/). Every page gets a fresh Backend; a test
// registers what the commands answer, then opens the app:
//
//   export async function shows_connections(page, backend) {
//     backend.on("list_connections", () => backend.snapshot("connections"));
//     backend.fail("remove_connection", backend.snapshot("error_not_found"));
//     await openApp(page);
//     ...
//     backend.calls("remove_connection")   // -> [{ name: "acme" }]
//     await backend.emit("test-login", backend.snapshot("test_login_event_created"));
//   }
//
// Data comes from JSON snapshots of the real core's output, which
// `cargo run --example ui-snapshots` writes into ui/src/lib/testdata/NAME.json
// (backend.snapshot(NAME) returns a fresh copy; app.mjs serves them for the flow tests). The
// `defaults` table below holds answers shared by every test; a handler registered with
// on()/reply()/fail() replaces the default for that command. A command nobody answers is
// rejected like Tauri rejects an unknown command, and listed by the runner after the test.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { uiDir } from "../harness.mjs";

export const testdataDir = join(uiDir, "src", "lib", "testdata");

/** Thrown (or returned by fail()) to reject an invoke with exactly `value`, as a Rust Err would. */
export class CommandError extends Error {
  constructor(value) {
    super(typeof value === "string" ? value : JSON.stringify(value));
    this.value = value;
  }
}

/**
 * Answers shared by all tests: { command: (args, backend) => value | Promise<value> }.
 * Keep them to what the app needs to start; tests add the rest.
 */
export const defaults = {
  // The event plugin's own bookkeeping (the page side keeps the listeners).
  "plugin:event|listen": () => null,
  "plugin:event|unlisten": () => null,
  "plugin:event|emit": () => null,
  "plugin:event|emit_to": () => null,
};

export class Backend {
  constructor() {
    this.handlers = new Map(Object.entries(defaults));
    this.log = []; // every invoke: { cmd, args, at }
    this.unhandled = []; // commands nobody answered
    this.errors = []; // handlers that threw something other than a CommandError (fail the test)
    this.state = {}; // free-form in-memory state for handlers that keep some
    this.page = null; // set by the runner
  }

  /** Registers `handler(args, backend)` for `cmd`; its return value (or promise) is the reply. */
  on(cmd, handler) {
    this.handlers.set(cmd, handler);
    return this;
  }

  /** `cmd` always answers `value` (a fresh copy each time). */
  reply(cmd, value) {
    return this.on(cmd, () => structuredClone(value));
  }

  /** `cmd` always rejects with `error` (what the command's Err serialises to). */
  fail(cmd, error) {
    return this.on(cmd, () => {
      throw new CommandError(structuredClone(error));
    });
  }

  /** Registers many constant replies at once: { cmd: value }. */
  table(replies) {
    for (const [cmd, value] of Object.entries(replies)) this.reply(cmd, value);
    return this;
  }

  /** The arguments of every call of `cmd` so far (all calls with no argument). */
  calls(cmd) {
    return this.log.filter((c) => cmd === undefined || c.cmd === cmd).map((c) => (cmd === undefined ? c : c.args));
  }

  /** A fresh copy of ui/src/lib/testdata/NAME.json. */
  snapshot(name) {
    const file = join(testdataDir, `${name}.json`);
    if (!existsSync(file)) {
      const have = existsSync(testdataDir) ? readdirSync(testdataDir).join(", ") || "none" : "no testdata directory";
      throw new Error(`no snapshot ${file} (have: ${have})`);
    }
    return JSON.parse(readFileSync(file, "utf8"));
  }

  /** Emits a backend event to the page's listeners (as app.emit would). */
  async emit(event, payload) {
    await this.page.evaluate(([e, p]) => window.__HANDSHAKE_E2E__.emit(e, p), [event, payload ?? null]);
  }

  /** How many listeners the page has for `event` (wait for > 0 before emitting). */
  async listening(event) {
    return this.page.evaluate((e) => window.__HANDSHAKE_E2E__.listening(e), event);
  }

  /** A sender for a Channel argument (`"__CHANNEL__:ID"` in the args of a call). */
  channel(arg) {
    const m = /^__CHANNEL__:(\d+)$/.exec(String(arg));
    if (!m) throw new Error(`not a Channel argument: ${arg}`);
    const id = Number(m[1]);
    let index = 0;
    const page = this.page;
    return {
      send: (message) => page.evaluate(([i, n, msg]) => window.__HANDSHAKE_E2E__.channel(i, n, msg), [id, index++, message]),
      end: () => page.evaluate(([i, n]) => window.__HANDSHAKE_E2E__.channelEnd(i, n), [id, index]),
    };
  }

  /** Called by the page (through the runner's binding) for every invoke. */
  async invoke(cmd, args) {
    this.log.push({ cmd, args, at: Date.now() });
    const handler = this.handlers.get(cmd);
    if (!handler) {
      this.unhandled.push(cmd);
      // Tauri's own message for a command that does not exist.
      return { ok: false, error: `Command ${cmd} not found` };
    }
    try {
      const value = await handler(args, this);
      // What serde would send: JSON (undefined becomes null).
      return { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
    } catch (e) {
      if (e instanceof CommandError) return { ok: false, error: e.value };
      // A bug in a handler, not a command error: the runner fails the test.
      this.errors.push(`handler for ${cmd} threw: ${e.stack ?? e}`);
      return { ok: false, error: `e2e backend: handler for ${cmd} threw: ${e.message ?? e}` };
    }
  }
}
