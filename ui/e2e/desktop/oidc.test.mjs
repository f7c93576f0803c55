// An OpenID Connect test login in the real app against the built-in demo OpenID Provider,
// through the UI only (IPC reads values for assertions, and cleans up at the end):
//
//   Import › OpenID Connect: the demo OP's issuer typed, its discovery document and keys
//   fetched over HTTP and previewed (not saved) -> Demo IdP › Create demo connection ›
//   OpenID Connect -> demo-oidc's Test login tab -> Start test login (app window) -> the
//   demo OP's person picker -> Sign in -> the OP redirects to /oidc/demo-oidc/callback, the
//   code is exchanged, the ID token judged -> the result arrives live in the main window:
//   the OIDC checks (state, token_response, signature, nonce...) in the same checks table,
//   the decoded header and claims -> the SP tab (redirect URIs) and IdP tab (cached keys),
//
// once at 1024x640 light and once at 1280x800 dark. Screenshots in target/e2e/desktop.
// Leaves the catalog as it found it (removes demo-oidc, resets the demo).
import assert from "node:assert/strict";
import { WINDOW, uiHelpers } from "./helpers.mjs";

const CONNECTION = "demo-oidc";

export async function oidc_test_login_against_the_demo_op(browser, ctx) {
  const { log, el, textUntil, find, dismissToasts, scrollTo, painted, collectScriptErrors } = uiHelpers(browser, ctx);
  const shot = async (name) => log(`screenshot: ${await ctx.screenshot(name)}`);
  const before = (await ctx.ipc("list_connections")).map((c) => c.name);
  const size = async (w, h) => {
    await browser.setWindowSize(w, h).catch((e) => log(`(setWindowSize: ${e.message})`));
    log(`webview ${(await browser.execute(() => [window.innerWidth, window.innerHeight])).join("x")}`);
  };
  const theme = (name) => ctx.click(`//div[@aria-label="Theme"]/button[normalize-space()="${name}"]`);

  try {
    await el("main[data-ready]");
    await collectScriptErrors();
    const status = await ctx.ipc("app_status");
    const issuer = `${status.server.base_url}/demo-idp/oidc`;

    for (const [i, [w, h, mode]] of [
      [1024, 640, "Light"],
      [1280, 800, "Dark"],
    ].entries()) {
      const tag = `${w}x${h}-${mode.toLowerCase()}`;
      await size(w, h);
      await theme(mode);

      // ---- 1. Import › OpenID Connect: discovery fetched over HTTP and previewed --------------
      {
        await ctx.click('//aside//button[normalize-space()="+ Import metadata"]');
        await ctx.click('[data-testid="protocol-oidc"]');
        await (await el('[data-testid="oidc-issuer-url"]')).setValue(issuer);
        await ctx.click('[data-testid="fetch-discovery"]');
        const summary = await find('[data-testid="oidc-summary"]', "the discovery preview", 20_000);
        const text = await summary.getText();
        assert.match(text, /Issuer check passed/);
        assert.ok(text.includes(`${issuer}/token`), "the preview shows the token endpoint");
        await textUntil('[data-testid="jwks-keys"]', (t) => /RSA/.test(t) && /RS256/.test(t), "the OP's keys");
        await painted();
        await shot(`oidc-import-${tag}`);
        await scrollTo('[data-testid="oidc-client-form"]');
        await painted();
        await shot(`oidc-import-client-${tag}`);
        assert.equal((await ctx.ipc("list_connections")).some((c) => c.name === "demo-oidc-2"), false);
      }

      // ---- 2. Demo IdP › Create demo connection › OpenID Connect --------------------------------
      await ctx.click('//aside//button[normalize-space()="Demo IdP"]');
      const protocol = await el('main [data-testid="demo-protocol"]', { timeout: 20_000 });
      await protocol.selectByAttribute("value", "oidc");
      await ctx.click('main [data-testid="create-demo"]');
      await el(`[data-testid="connection-detail"][data-connection="${CONNECTION}"]`, { timeout: 30_000 });
      await el('#detail-tab-test[aria-selected="true"]');
      const view = await ctx.ipc("connection", { name: CONNECTION });
      assert.equal(view.protocol, "oidc");
      assert.equal(view.oidc.issuer, issuer);

      // ---- 3. Start test login in the app window -> the demo OP's picker -> Sign in ------------
      await ctx.click('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"]');
      await el('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"][@aria-pressed="true"]');
      const known = new Set((await ctx.ipc("test_logins", { connection: CONNECTION, limit: 50 })).map((l) => l.id));
      await ctx.click('[data-testid="start-test-login"]');
      await ctx.switchToNewWindow({ timeout: 20_000 });
      const persona = `#persona-${i}`;
      await ctx.click(persona, { timeout: 20_000 });
      const person = await (await el(persona)).getValue();
      log(`login window: ${await browser.getUrl()} (person ${person})`);
      if (i === 0) await shot(`oidc-op-picker-${tag}`);
      const submit = await el('#signin button[type="submit"]');
      await browser.execute((b) => b.scrollIntoView({ block: "center" }), submit);
      const tSubmit = performance.now();
      // A script click, deferred: the login window closes as a result of this click, and a
      // WebDriver click waits for a navigation in a window that may be gone (it then hung until
      // the HTTP headers timeout and left the app running for the next tests).
      await browser.execute((b) => setTimeout(() => b.click(), 0), submit);
      await ctx.switchToMain();
      const resultSel = '[data-testid="test-login-panel"][data-rendered-epoch] [data-testid="test-login-result"]';
      const result = await pollResult(browser, ctx, resultSel, known, log);
      ctx.measure(`oidc_op_submit_to_result_ms_${tag}`, Math.round(performance.now() - tSubmit));
      const outcome = await result.getAttribute("data-outcome");
      assert.ok(["created", "updated", "unchanged"].includes(outcome), `the OIDC login signs in (${outcome})`);
      await textUntil('[data-testid="id-token-signed"]', (t) => /ID token signed/.test(t), "the ID token's signature badge");

      // The OIDC checks, in the same checks table as SAML's.
      for (const check of ["state", "token_response", "algorithm", "signature", "issuer", "audience", "time_window", "nonce"]) {
        const row = await el(`[data-testid="test-login-result"] tr[data-check="${check}"]`);
        assert.equal(await row.getAttribute("data-status"), "pass", `check ${check} passes`);
      }
      const id = Number(await result.getAttribute("data-test-login-id"));
      const detail = await ctx.ipc("test_login", { id });
      assert.equal(detail.login.report.user?.email, person, "the user is the person picked at the demo OP");
      assert.ok(detail.xml[0].text.startsWith("{"), "the document is the decoded header and claims (JSON)");
      assert.ok(!JSON.stringify(detail).includes("access_token\":\"ey"), "no access token is kept");
      await dismissToasts();
      await scrollTo('[data-testid="test-login-result"]');
      await painted();
      await shot(`oidc-result-${tag}`);
      await scrollTo('[data-testid="checks"]');
      await painted();
      await shot(`oidc-checks-${tag}`);
      await textUntil('[data-testid="assertion-xml"]', (t) => t.includes("Decoded ID token"), "the decoded ID token");
      await scrollTo('[data-testid="assertion-xml"]');
      await painted();
      await shot(`oidc-id-token-${tag}`);

      // ---- 4. the SP tab (what to register) and the IdP tab (cached keys) ----------------------
      await ctx.click("#detail-tab-sp");
      await textUntil('[data-testid="oidc-sp"]', (t) => t.includes(`/oidc/${CONNECTION}/callback`), "the redirect URIs");
      await painted();
      await shot(`oidc-sp-${tag}`);
      await ctx.click("#detail-tab-idp");
      await textUntil('[data-testid="jwks-keys"]', (t) => /RSA/.test(t), "the cached keys");
      await painted();
      await shot(`oidc-idp-${tag}`);
      await ctx.click("#detail-tab-security");
      await el('[data-testid="oidc-security-form"]');
      await painted();
      await shot(`oidc-security-${tag}`);
    }
    const errors = await browser.execute(() => window.__e2eErrors ?? []);
    assert.deepEqual(errors, [], "no script error in the main window");
  } finally {
    await theme("System").catch(() => {});
    await browser.setWindowSize(WINDOW.width, WINDOW.height).catch(() => {});
    if (!before.includes(CONNECTION)) {
      await ctx.ipc("remove_connection", { name: CONNECTION }).catch((e) => log(`(remove_connection: ${e.message})`));
    }
    if (!before.includes("demo")) await ctx.ipc("reset_demo").catch((e) => log(`(reset_demo: ${e.message})`));
  }
}

/** The result of a new test login (not one of `known`), or what the login window shows. */
async function pollResult(browser, ctx, selector, known, log) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await browser.$(selector);
    if (await r.isExisting()) {
      const id = Number(await r.getAttribute("data-test-login-id"));
      if (!known.has(id)) return r;
    }
    if (Date.now() > deadline) {
      const seen = await (async () => {
        await ctx.switchToNewWindow({ timeout: 5_000 });
        const url = await browser.getUrl();
        const body = await browser.execute(() => document.body?.innerText ?? "");
        log(`screenshot: ${await ctx.screenshot("FAILED-oidc-login-window")}`);
        await ctx.switchToMain();
        return `login window at ${url}: ${JSON.stringify(body.slice(0, 600))}`;
      })().catch((x) => `(login window not readable: ${x.message})`);
      throw new Error(`no new OIDC test login result within 30 s; ${seen}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}
