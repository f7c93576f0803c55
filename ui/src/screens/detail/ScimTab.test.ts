import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock, scimRequestHandlers } from "../../lib/apiMock";
import type { Lifecycle, ScimReport, ScimRequestSummary, ScimStatus } from "../../lib/generated/types";
import ScimTab from "./ScimTab.svelte";
import { defaultOwner, ownerOf, tunnelCommands, withOwner } from "./scim";

const TOKEN = "hs_scim_q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0xcvb";

function status(over: Partial<ScimStatus> = {}): ScimStatus {
  return {
    connection: "okta-prod",
    enabled: false,
    endpoint: "http://127.0.0.1:8080/scim/okta-prod/v2",
    lifecycle: { policy: "jit", jit_requires_scim: false, match_rule: "user_name", owners: {} },
    token_generation: 0,
    enabled_at: null,
    rotated_at: null,
    users: 0,
    groups: 0,
    ...over,
  };
}

function request(over: Partial<ScimRequestSummary> = {}): ScimRequestSummary {
  return {
    id: 7,
    connection: "okta-prod",
    at: "2026-11-23T14:00:00Z",
    method: "PATCH",
    path: "/Users/2819c223",
    status: 200,
    scim_type: null,
    resource_type: "User",
    resource_id: "2819c223",
    user_id: 3,
    change: ["replace active = false"],
    diff: [{ field: "status", before: "active", after: "deactivated" }],
    notes: ['capitalised op "Replace"', 'boolean string "False"'],
    request_body: '{"Operations":[{"op":"Replace","path":"active","value":"False"}],"password":"[redacted]"}',
    response_body: '{"id":"2819c223","active":false}',
    client: "Microsoft.Azure.AD.Provisioning",
    duration_ms: 4,
    ...over,
  };
}

const emptyReport: ScimReport = {
  connection: "okta-prod",
  jit_unknown_to_scim: [],
  scim_never_signed_in: [],
  claims_disagree: [],
};

beforeEach(() => {
  resetApiMock();
  api.scimLog.mockResolvedValue([]);
  api.scimReport.mockResolvedValue(emptyReport);
  api.scimRejections.mockResolvedValue({ last_minute: 0, kept: 0, last_at: null });
});

describe("ScimTab", () => {
  test("turning SCIM on says the token is on the clipboard, only now, and never shows it", async () => {
    api.scimStatus.mockResolvedValue(status());
    api.scimEnable.mockResolvedValue({
      status: status({ enabled: true, token_generation: 1, enabled_at: "2026-11-23T14:00:00Z" }),
      copied: true,
      copy_error: null,
      token_hint: "…xcvb",
    });
    const { container } = render(ScimTab, { name: "okta-prod", vendor: "okta" });
    await fireEvent.click(await screen.findByTestId("scim-enable"));
    expect(api.scimEnable).toHaveBeenCalledWith("okta-prod", null);
    const note = await screen.findByTestId("scim-token-issued");
    expect(note.textContent).toContain("on the clipboard");
    expect(note.textContent).toContain("only time");
    expect(screen.getByTestId("scim-token-hint").textContent).toBe("…xcvb");
    expect(container.textContent).not.toContain(TOKEN);
    expect(screen.getByText("On")).toBeTruthy();
    // Done: the note goes, and nothing on screen can show the token again.
    await fireEvent.click(within(note).getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("scim-token-issued")).toBeNull();
    expect(screen.getByTestId("scim-rotate")).toBeTruthy();
  });

  test("a refused copy says so and how to get a token instead", async () => {
    api.scimStatus.mockResolvedValue(status({ enabled: true, token_generation: 1 }));
    api.scimRotateToken.mockResolvedValue({
      status: status({ enabled: true, token_generation: 2 }),
      copied: false,
      copy_error: "no clipboard on this display",
      token_hint: "…9abc",
    });
    render(ScimTab, { name: "okta-prod" });
    await fireEvent.click(await screen.findByTestId("scim-rotate"));
    await fireEvent.click(await screen.findByRole("button", { name: "Rotate and copy" }));
    const note = await screen.findByTestId("scim-token-issued");
    expect(note.dataset.copied).toBe("false");
    expect(note.textContent).toContain("no clipboard on this display");
    expect(note.textContent).toContain("handshake scim rotate-token --connection okta-prod");
  });

  test("the vendor notes open on the connection's vendor and say Google has no SCIM for custom apps", async () => {
    api.scimStatus.mockResolvedValue(status());
    render(ScimTab, { name: "okta-prod", vendor: "entra" });
    const note = await screen.findByTestId("scim-vendor-note");
    expect(note.dataset.vendor).toBe("entra");
    expect(note.textContent).toContain("aadOptscim062020");
    expect(note.textContent).toContain("objectId");
    await fireEvent.click(screen.getByRole("button", { name: "Google Workspace" }));
    expect(screen.getByTestId("scim-vendor-note").textContent).toContain("no SCIM client for custom");
    await fireEvent.click(screen.getByRole("button", { name: "Okta" }));
    expect(screen.getByTestId("scim-tunnel").textContent).toContain("ngrok http 8080 --host-header=rewrite");
  });

  test("the lifecycle form saves the policy, the subject rule and an owner", async () => {
    api.scimStatus.mockResolvedValue(status({ enabled: true }));
    api.setLifecycle.mockImplementation(async (_n: string, l: Lifecycle) => l);
    const onlifecycle = vi.fn();
    render(ScimTab, { name: "okta-prod", onlifecycle });
    await screen.findByTestId("scim-lifecycle");
    expect(screen.getByTestId("scim-owners-jit")).toBeTruthy();
    await fireEvent.click(screen.getByLabelText(/Hybrid/));
    await fireEvent.click(screen.getByLabelText(/JIT creates only users SCIM has provisioned/));
    await fireEvent.click(screen.getByLabelText(/^externalId/));
    await fireEvent.change(screen.getByLabelText("Owner of Groups"), { target: { value: "login" } });
    // Status and roles have a fixed owner: no select.
    expect(screen.queryByLabelText("Owner of Status")).toBeNull();
    await fireEvent.click(screen.getByTestId("scim-lifecycle-save"));
    const saved: Lifecycle = { policy: "hybrid", jit_requires_scim: true, match_rule: "external_id", owners: { groups: "login" } };
    expect(api.setLifecycle).toHaveBeenCalledWith("okta-prod", saved);
    await vi.waitFor(() => expect(onlifecycle).toHaveBeenCalledWith(saved));
  });

  test("the live log shows a request arriving, with its change, diff, notes and redacted bodies", async () => {
    api.scimStatus.mockResolvedValue(status({ enabled: true }));
    api.scimLog.mockResolvedValue([request({ id: 6, method: "GET", path: "/Users", change: [], diff: [], notes: [] })]);
    render(ScimTab, { name: "okta-prod" });
    const table = await screen.findByTestId("scim-log-table");
    expect(table.textContent).toContain("/Users");
    await vi.waitFor(() => expect(scimRequestHandlers.length).toBe(1));
    scimRequestHandlers[0](request({ connection: "other" }));
    scimRequestHandlers[0](request());
    const row = await vi.waitFor(() => {
      const r = table.querySelector('tr[data-request-id="7"]');
      if (!r) throw new Error("not yet");
      return r as HTMLElement;
    });
    expect(table.querySelectorAll("tbody tr[data-request-id]").length).toBe(2);
    expect(row.textContent).toContain("PATCH");
    expect(row.textContent).toContain("replace active = false");
    expect(row.classList.contains("fresh")).toBe(true);
    await fireEvent.click(within(row).getByRole("button", { name: /Show details of PATCH/ }));
    const detail = document.getElementById("scim-request-7")!;
    expect(detail.textContent).toContain("deactivated");
    expect(detail.textContent).toContain('capitalised op "Replace"');
    expect(within(detail).getByTestId("scim-req-body").textContent).toContain("[redacted]");
    expect(within(detail).getByTestId("scim-res-body").textContent).toContain("2819c223");
    // The counts above follow the live log.
    expect(api.scimStatus.mock.calls.length).toBeGreaterThan(1);
  });

  test("requests refused with 401 are counted above the log, not logged", async () => {
    api.scimStatus.mockResolvedValue(status({ enabled: true }));
    api.scimRejections.mockResolvedValue({ last_minute: 2, kept: 3, last_at: "2026-11-23T14:00:00Z" });
    render(ScimTab, { name: "okta-prod" });
    const note = await screen.findByTestId("scim-rejections");
    expect(note.textContent).toContain("3 requests refused with 401");
    expect(note.textContent).toContain("2 in the last minute");
    expect(screen.queryByTestId("scim-log-table")).toBeNull();
  });

  test("a failed request shows its status and scimType", async () => {
    api.scimStatus.mockResolvedValue(status({ enabled: true }));
    api.scimLog.mockResolvedValue([request({ status: 409, scim_type: "uniqueness", change: [], diff: [] })]);
    render(ScimTab, { name: "okta-prod" });
    expect((await screen.findByTestId("scim-log-table")).textContent).toContain("409 uniqueness");
  });

  test("the reports list JIT accounts SCIM does not know and disagreements", async () => {
    api.scimStatus.mockResolvedValue(status({ enabled: true, lifecycle: { policy: "hybrid", jit_requires_scim: false, match_rule: "user_name", owners: {} } }));
    const user = { user_id: 4, subject: "grace@example.com", email: "grace@example.com", display_name: "Grace", scim_id: null, created_at: "2026-11-20T10:00:00Z" };
    api.scimReport.mockResolvedValue({
      ...emptyReport,
      jit_unknown_to_scim: [user],
      claims_disagree: [{ user, field: "groups", scim: ["engineering"], login: ["sales"], owner: "scim", login_at: "2026-11-23T13:00:00Z" }],
    });
    render(ScimTab, { name: "okta-prod" });
    expect((await screen.findByTestId("report-jit-unknown")).textContent).toContain("Grace");
    const disagree = screen.getByTestId("report-disagree");
    expect(disagree.textContent).toContain("engineering");
    expect(disagree.textContent).toContain("sales");
    expect(disagree.textContent).toContain("SCIM's value");
  });
});

describe("scim rules", () => {
  const hybrid: Lifecycle = { policy: "hybrid", jit_requires_scim: false, match_rule: "user_name", owners: {} };
  test("default owners follow the core's Lifecycle::owner", () => {
    expect(defaultOwner("jit", "groups")).toBe("last_writer");
    expect(defaultOwner("hybrid", "groups")).toBe("scim");
    expect(defaultOwner("hybrid", "custom.department")).toBe("last_writer");
    expect(defaultOwner("jit", "status")).toBe("scim");
    expect(defaultOwner("hybrid", "roles")).toBe("login");
    expect(ownerOf({ ...hybrid, policy: "jit", owners: { groups: "login" } }, "groups")).toBe("last_writer");
  });
  test("an owner equal to the default is not stored", () => {
    const l = withOwner(hybrid, "groups", "login");
    expect(l.owners).toEqual({ groups: "login" });
    expect(withOwner(l, "groups", "scim").owners).toEqual({});
  });
  test("tunnel commands rewrite the Host to the endpoint's port", () => {
    expect(tunnelCommands("http://127.0.0.1:5173/scim/x/v2").cloudflared).toContain("--http-host-header 127.0.0.1:5173");
  });
});
