import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { connectionsFixture, user, userDetail } from "./testFixtures";

vi.mock("../lib/api", () => import("../lib/apiMock"));
import { api } from "../lib/apiMock";

import Users from "./Users.svelte";

const ada = user();
const bob = user({ id: 2, email: "bob@example.com", display_name: "Bob", roles: [], groups: [], status: "deactivated" });

beforeEach(() => {
  vi.clearAllMocks();
  api.listConnections.mockResolvedValue(connectionsFixture);
  api.users.mockResolvedValue([ada, bob]);
  api.user.mockImplementation(async (id: number) => userDetail(id === 1 ? ada : bob));
});

describe("Users", () => {
  test("lists users with roles, groups and status", async () => {
    render(Users);
    await screen.findByText("Ada Lovelace");
    expect(api.users).toHaveBeenCalledWith({ connection: null, text: null });
    const table = screen.getByTestId("users-table");
    expect(within(table).getByText("admin").className).toContain("info");
    expect(within(table).getByTitle("engineering, admins").textContent).toBe("2 groups");
    expect(within(table).getByText("Active").className).toContain("ok");
    expect(within(table).getByText("Deactivated").className).toContain("muted");
  });

  test("each user's source, and a SCIM user's SCIM status", async () => {
    const cleo = user({ id: 3, email: "cleo@example.com", display_name: "Cleo", source: "scim" });
    const dan = user({ id: 4, email: "dan@example.com", display_name: "Dan", source: "scim", status: "deactivated" });
    api.users.mockResolvedValue([ada, cleo, dan]);
    api.user.mockImplementation(async (id: number) => userDetail(id === 4 ? dan : ada));
    render(Users);
    await screen.findByText("Cleo");
    const sources = screen
      .getAllByTestId("user-source")
      .map((c) => [...c.querySelectorAll(".badge")].map((b) => b.textContent?.trim()).join(" "));
    expect(sources).toEqual(["JIT", "SCIM Provisioned", "SCIM Deprovisioned"]);
    expect(screen.getByText("Deprovisioned").className).toContain("bad");
    await fireEvent.click(screen.getByRole("button", { name: "Dan" }));
    const panel = await screen.findByTestId("user-panel");
    expect(await within(panel).findByText("Created by SCIM")).toBeTruthy();
    expect(within(panel).getByText("SCIM: Deprovisioned")).toBeTruthy();
  });

  test("the search box queries the api with the text (debounced)", async () => {
    render(Users);
    await screen.findByText("Ada Lovelace");
    await fireEvent.input(screen.getByLabelText("Search users"), { target: { value: "a" } });
    await fireEvent.input(screen.getByLabelText("Search users"), { target: { value: "ada" } });
    await waitFor(() => expect(api.users).toHaveBeenLastCalledWith({ connection: null, text: "ada" }));
    expect(api.users.mock.calls.some((c) => c[0].text === "a")).toBe(false);
  });

  test("the connection filter is passed", async () => {
    render(Users);
    await screen.findByRole("option", { name: "entra-test" });
    await fireEvent.change(screen.getByLabelText("Connection"), { target: { value: "entra-test" } });
    await waitFor(() => expect(api.users).toHaveBeenLastCalledWith({ connection: "entra-test", text: null }));
  });

  test("the detail panel deactivates a user", async () => {
    const deactivated = { ...ada, status: "deactivated" as const };
    api.setUserStatus.mockResolvedValue(deactivated);
    api.user.mockResolvedValueOnce(userDetail(ada)).mockResolvedValue(userDetail(deactivated));
    render(Users);
    await fireEvent.click(await screen.findByRole("button", { name: "Ada Lovelace" }));
    const panel = await screen.findByTestId("user-panel");
    await within(panel).findByText("R&D");
    expect(within(panel).getByText("department")).toBeTruthy();
    expect(within(panel).getByText("Identities")).toBeTruthy();
    await fireEvent.click(within(panel).getByRole("button", { name: "Deactivate" }));
    expect(api.setUserStatus).toHaveBeenCalledWith(1, "deactivated");
    await within(panel).findByRole("button", { name: "Activate" });
  });

  test("delete asks for confirmation", async () => {
    api.deleteUser.mockResolvedValue(null);
    render(Users);
    await fireEvent.click(await screen.findByRole("button", { name: "Bob" }));
    const panel = await screen.findByTestId("user-panel");
    await fireEvent.click(await within(panel).findByRole("button", { name: "Delete" }));
    expect(api.deleteUser).not.toHaveBeenCalled();
    await fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete user" }));
    expect(api.deleteUser).toHaveBeenCalledWith(2);
    await waitFor(() => expect(screen.queryByTestId("user-panel")).toBeNull());
    expect(screen.queryByText("Bob")).toBeNull();
  });

  test("explains that JIT cannot de-provision", async () => {
    render(Users);
    expect(screen.getByText(/SCIM/)).toBeTruthy();
  });

  test("empty states", async () => {
    api.users.mockResolvedValue([]);
    render(Users);
    await screen.findByText("No users yet");
  });
});
