import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { adminEntry, auditEntry, connectionsFixture } from "./testFixtures";

vi.mock("../lib/api", () => import("../lib/apiMock"));
import { api } from "../lib/apiMock";
const dialog = vi.hoisted(() => ({ save: vi.fn() }));
vi.mock("@tauri-apps/plugin-dialog", () => dialog);

import Audit from "./Audit.svelte";
import { ApiError } from "../lib/api";
import { toasts } from "../lib/stores/toasts.svelte";

const entries = [
  auditEntry(),
  auditEntry({
    id: 2,
    outcome: "rejected",
    failed_check: "audience",
    message: "Audience https://wrong is not this SP",
    user_id: null,
    diff: [],
  }),
  adminEntry(),
];

beforeEach(() => {
  vi.clearAllMocks();
  toasts.items.length = 0;
  api.listConnections.mockResolvedValue(connectionsFixture);
  api.audit.mockResolvedValue(entries);
});

describe("Audit", () => {
  test("lists entries with outcome badges and failed checks", async () => {
    render(Audit);
    await screen.findByText("Audience https://wrong is not this SP");
    expect(api.audit).toHaveBeenCalledWith({ connection: null, since: null, outcome: null, text: null, user_id: null, kind: null, action: null });
    const table = screen.getByTestId("audit-table");
    expect(within(table).getByText("rejected").className).toContain("bad");
    expect(within(table).getByText("updated").className).toContain("info");
    expect(within(table).getByText("audience").className).toContain("mono");
  });

  test("the outcome filter is passed to the api", async () => {
    render(Audit);
    await screen.findByTestId("audit-table");
    await fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: "rejected" } });
    await waitFor(() =>
      expect(api.audit).toHaveBeenLastCalledWith({ connection: null, since: null, outcome: "rejected", text: null, user_id: null, kind: null, action: null }),
    );
  });

  test("connection, since and text filters", async () => {
    render(Audit);
    await screen.findByRole("option", { name: "okta-prod" });
    await fireEvent.change(screen.getByLabelText("Connection"), { target: { value: "okta-prod" } });
    await fireEvent.input(screen.getByLabelText("Since"), { target: { value: "2026-11-01" } });
    await fireEvent.input(screen.getByLabelText("Search"), { target: { value: "ada" } });
    await waitFor(() =>
      expect(api.audit).toHaveBeenLastCalledWith({
        connection: "okta-prod",
        since: new Date(2026, 10, 1).toISOString(),
        outcome: null,
        text: "ada",
        user_id: null,
        kind: null,
        action: null,
      }),
    );
  });

  test("a row expands to its diff", async () => {
    render(Audit);
    await screen.findByTestId("audit-table");
    const toggle = screen.getByRole("button", { name: "Show details of entry 1" });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    await fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const detail = document.getElementById("audit-detail-1")!;
    expect(detail.textContent).toContain("roles");
    expect(detail.textContent).toContain('"user"');
    expect(detail.textContent).toContain('"admin"');
  });

  test("an admin row shows who, what and a readable diff", async () => {
    render(Audit);
    const table = await screen.findByTestId("audit-table");
    const row = table.querySelector('tr[data-kind="admin"]') as HTMLElement;
    expect(within(row).getByText("ada").getAttribute("title")).toBe("The OS user who made the change");
    expect(within(row).getByText("Security policy changed").className).toContain("info");
    expect(within(row).getByText("Changed the security policy of okta-prod")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Show details of entry 3" }));
    const detail = document.getElementById("audit-detail-3")!;
    const diff = within(detail).getByRole("table", { name: "Changes of entry 3" });
    const cells = within(diff)
      .getAllByRole("row")
      .map((r) => [...r.children].map((c) => c.textContent?.trim()).join(" "));
    // Plain values: no JSON quotes, one row per field.
    expect(cells).toEqual(["Field Before After", "policy.allow_sha1 false true", "policy.clock_skew_seconds 180 120"]);
    expect(detail.textContent).toContain("policy_change");
    expect(detail.textContent).toContain("(OS user)");
  });

  test("the kind filter swaps the outcome filter for the action filter", async () => {
    render(Audit);
    await screen.findByTestId("audit-table");
    expect(screen.getByLabelText("Outcome")).toBeTruthy();
    await fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "admin" } });
    expect(screen.queryByLabelText("Outcome")).toBeNull();
    await fireEvent.change(screen.getByLabelText("Action"), { target: { value: "sp_key_rotate" } });
    await waitFor(() =>
      expect(api.audit).toHaveBeenLastCalledWith({
        connection: null,
        since: null,
        outcome: null,
        text: null,
        user_id: null,
        kind: "admin",
        action: "sp_key_rotate",
      }),
    );
    await fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "login" } });
    expect(screen.queryByLabelText("Action")).toBeNull();
    await waitFor(() =>
      expect(api.audit).toHaveBeenLastCalledWith(expect.objectContaining({ kind: "login", action: null })),
    );
    await fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(api.audit).toHaveBeenLastCalledWith(expect.objectContaining({ kind: null, action: null })));
  });

  test("the SCIM kind filters SCIM changes; a SCIM row reads its action, diff and redacted request", async () => {
    const scimRow = auditEntry({
      id: 9,
      kind: "scim",
      outcome: null,
      actor: "scim",
      scim_action: "scim_deactivate_user",
      subject: "grace@example.com",
      diff: [{ field: "status", before: "active", after: "deactivated" }],
      request: { method: "PATCH", path: "/Users/42", body: { password: "[redacted]" } },
    });
    api.audit.mockResolvedValue([scimRow]);
    render(Audit);
    await screen.findByTestId("audit-table");
    await fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "scim" } });
    expect(screen.queryByLabelText("Outcome")).toBeNull();
    expect(screen.queryByLabelText("Action")).toBeNull();
    await waitFor(() =>
      expect(api.audit).toHaveBeenLastCalledWith(expect.objectContaining({ kind: "scim", outcome: null, action: null })),
    );
    const row = (await screen.findByTestId("audit-table")).querySelector('tr[data-kind="scim"]') as HTMLElement;
    expect(within(row).getByText("SCIM: user deactivated").className).toContain("warn");
    await fireEvent.click(screen.getByRole("button", { name: "Show details of entry 9" }));
    const detail = document.getElementById("audit-detail-9")!;
    expect(detail.textContent).toContain("deactivated");
    expect(within(detail).getByTestId("audit-scim-request").textContent).toContain("[redacted]");
  });

  test("exports CSV with the current query", async () => {
    dialog.save.mockResolvedValue("/tmp/audit.csv");
    api.exportAudit.mockResolvedValue(42);
    render(Audit);
    await screen.findByTestId("audit-table");
    await fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: "denied" } });
    await fireEvent.click(screen.getByTestId("export-csv"));
    await waitFor(() =>
      expect(api.exportAudit).toHaveBeenCalledWith(
        { connection: null, since: null, outcome: "denied", text: null, user_id: null, kind: null, action: null },
        "csv",
        "/tmp/audit.csv",
      ),
    );
    await waitFor(() => expect(toasts.items.some((t) => t.message.startsWith("Exported 42 rows"))).toBe(true));
  });

  test("cancelling the save dialog exports nothing", async () => {
    dialog.save.mockResolvedValue(null);
    render(Audit);
    await screen.findByTestId("audit-table");
    await fireEvent.click(screen.getByTestId("export-jsonl"));
    await waitFor(() => expect(dialog.save).toHaveBeenCalled());
    expect(api.exportAudit).not.toHaveBeenCalled();
  });

  test("errors are alerts", async () => {
    api.audit.mockRejectedValue(new ApiError("storage", "disk I/O error"));
    render(Audit);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Database error: disk I/O error");
  });
});
