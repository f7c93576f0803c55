import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { connectionsFixture, summary, view } from "./testFixtures";

vi.mock("../lib/api", () => import("../lib/apiMock"));
import { api } from "../lib/apiMock";
const dialog = vi.hoisted(() => ({ save: vi.fn() }));
vi.mock("@tauri-apps/plugin-dialog", () => dialog);

import Connections from "./Connections.svelte";
import { ApiError } from "../lib/api";
import { nav } from "../lib/stores/nav.svelte";
import { recordTestLogin } from "../lib/stores/events.svelte";
import { toasts } from "../lib/stores/toasts.svelte";

function row(name: string): HTMLElement {
  const r = document.querySelector<HTMLElement>(`tr[data-connection="${name}"]`);
  if (!r) throw new Error(`no row ${name}`);
  return r;
}

beforeEach(() => {
  vi.clearAllMocks();
  api.listConnections.mockResolvedValue(connectionsFixture);
  toasts.items.length = 0;
});

describe("Connections", () => {
  test("shows a status and a certificate badge per level", async () => {
    render(Connections);
    await screen.findByText("okta-prod");
    const ok = within(row("okta-prod"));
    expect(ok.getByText(/^Last test OK · 3 min ago$/).className).toContain("ok");
    expect(ok.getByText("Valid · 190 d left").className).toContain("ok");
    const failing = within(row("entra-test"));
    expect(failing.getByText("Failing: audience").className).toContain("bad");
    expect(failing.getByText("Expires in 12 d").className).toContain("warn");
    const never = within(row("adfs-old"));
    expect(never.getByText("Never tested").className).toContain("muted");
    expect(never.getByText("Expired").className).toContain("bad");
    expect(ok.getByText("12")).toBeTruthy();
    expect(ok.getByTitle("http://www.okta.com/exk1abcd")).toBeTruthy();
  });

  test("a demo helper connection is labelled as such, never as a failure", async () => {
    const note = "Demo helper: a copy of the demo connection that refuses IdP-initiated logins.";
    api.listConnections.mockResolvedValue([
      ...connectionsFixture,
      summary({ name: "demo-strict", status: "failing", last_failed_check: "in_response_to", demo_helper: note }),
    ]);
    render(Connections);
    await screen.findByText("demo-strict");
    const helper = within(row("demo-strict"));
    expect(helper.getByText("Demo helper").className).toContain("muted");
    expect(helper.getByText("Demo helper").getAttribute("title")).toBe(note);
    expect(helper.getByText("Made by a demo scenario")).toBeTruthy();
    expect(helper.queryByText(/Failing/)).toBeNull();
  });

  test("delete asks for confirmation first", async () => {
    api.removeConnection.mockResolvedValue({ name: "entra-test", warning: "the SP key could not be removed" });
    render(Connections);
    await screen.findByText("entra-test");
    await fireEvent.click(screen.getByRole("button", { name: "Delete entra-test" }));
    expect(api.removeConnection).not.toHaveBeenCalled();
    const dlg = screen.getByRole("alertdialog");
    expect(within(dlg).getByText("Delete entra-test?")).toBeTruthy();
    await fireEvent.click(within(dlg).getByRole("button", { name: "Cancel" }));
    expect(api.removeConnection).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByRole("button", { name: "Delete entra-test" }));
    await fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete connection" }));
    expect(api.removeConnection).toHaveBeenCalledWith("entra-test");
    await waitFor(() => expect(api.listConnections).toHaveBeenCalledTimes(2));
    expect(toasts.items.some((t) => t.tone === "warn" && t.message.includes("SP key could not be removed"))).toBe(true);
  });

  test("filters rows client-side and shows an empty state", async () => {
    render(Connections);
    await screen.findByText("okta-prod");
    await fireEvent.input(screen.getByLabelText("Filter connections"), { target: { value: "sts.windows" } });
    expect(screen.queryByText("okta-prod")).toBeNull();
    expect(screen.getByText("entra-test")).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("Filter connections"), { target: { value: "zzz" } });
    expect(screen.getByText(/No connection matches/)).toBeTruthy();
  });

  test("renders at most 200 rows, then shows more", async () => {
    const many = Array.from({ length: 450 }, (_, i) => ({ ...connectionsFixture[0], name: `c${i}` }));
    api.listConnections.mockResolvedValue(many);
    render(Connections);
    await screen.findByText("c0");
    expect(document.querySelectorAll("tbody tr").length).toBe(200);
    await fireEvent.click(screen.getByRole("button", { name: /Show more/ }));
    expect(document.querySelectorAll("tbody tr").length).toBe(400);
  });

  test("empty catalog: a call to action", async () => {
    api.listConnections.mockResolvedValue([]);
    render(Connections);
    await screen.findByText("No connections yet");
    await fireEvent.click(screen.getByRole("button", { name: "Import IdP metadata" }));
    expect(nav.view).toBe("import");
  });

  test("load errors are shown with a retry", async () => {
    api.listConnections.mockRejectedValueOnce(new ApiError("storage", "database is locked"));
    render(Connections);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Database error: database is locked");
    await fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await screen.findByText("okta-prod");
  });

  test("opening a connection navigates to its detail", async () => {
    render(Connections);
    await fireEvent.click(await screen.findByRole("button", { name: "okta-prod" }));
    expect(nav.view).toBe("connection");
    expect(nav.name).toBe("okta-prod");
  });

  test("duplicate validates the new name", async () => {
    api.duplicateConnection.mockResolvedValue(view("okta-copy"));
    render(Connections);
    await fireEvent.click(await screen.findByRole("button", { name: "Duplicate okta-prod" }));
    const input = screen.getByLabelText("New connection name") as HTMLInputElement;
    expect(input.value).toBe("okta-prod-copy");
    await fireEvent.input(input, { target: { value: "bad name" } });
    expect(screen.getByText(/Use only letters/)).toBeTruthy();
    await fireEvent.input(input, { target: { value: "entra-test" } });
    expect(screen.getByText(/already exists/)).toBeTruthy();
    await fireEvent.input(input, { target: { value: "okta-copy" } });
    await fireEvent.click(screen.getByRole("button", { name: "Duplicate" }));
    expect(api.duplicateConnection).toHaveBeenCalledWith("okta-prod", "okta-copy");
  });

  test("export asks where, then exports", async () => {
    dialog.save.mockResolvedValue("/home/me/okta-prod.handshake.json");
    api.exportConnection.mockResolvedValue(null);
    render(Connections);
    await fireEvent.click(await screen.findByRole("button", { name: "Export okta-prod" }));
    await waitFor(() => expect(api.exportConnection).toHaveBeenCalledWith("okta-prod", "/home/me/okta-prod.handshake.json"));
    expect(dialog.save.mock.calls[0][0].defaultPath).toBe("okta-prod.handshake.json");
  });

  test("an imported connection file whose name is taken asks for another", async () => {
    const content = JSON.stringify({ handshake_connection: 1, name: "okta-prod" });
    api.importConnectionFile
      .mockRejectedValueOnce(new ApiError("already_exists", "connection okta-prod already exists"))
      .mockResolvedValueOnce({ connection: view("okta-prod-copy"), warnings: [] });
    render(Connections);
    await screen.findByText("okta-prod");
    const file = new File([content], "okta-prod.handshake.json", { type: "application/json" });
    await fireEvent.change(screen.getByTestId("connection-file"), { target: { files: [file] } });
    await waitFor(() => expect(api.importConnectionFile).toHaveBeenCalledWith(content, null));
    const input = (await screen.findByLabelText("New connection name")) as HTMLInputElement;
    expect(input.value).toBe("okta-prod-copy");
    await fireEvent.click(screen.getByRole("button", { name: "Import" }));
    expect(api.importConnectionFile).toHaveBeenLastCalledWith(content, "okta-prod-copy");
  });

  test("a test-login event refreshes the list", async () => {
    render(Connections);
    await screen.findByText("okta-prod");
    recordTestLogin({ id: 9, at: "2026-11-23T14:00:00Z", connection: "okta-prod", kind: "sp_initiated", outcome: "created", failed_check: null, user_id: 1 });
    await waitFor(() => expect(api.listConnections).toHaveBeenCalledTimes(2));
  });
});
