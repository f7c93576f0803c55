import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { appStatus, connectionsFixture } from "./screens/testFixtures";

vi.mock("./lib/api", () => import("./lib/apiMock"));
import { api, testLoginHandlers } from "./lib/apiMock";
// The detail screen is another module's (tested on its own); a no-op component here.
const detail = vi.hoisted(() => ({ default: vi.fn() }));
vi.mock("./screens/detail/ConnectionDetail.svelte", () => detail);

import App from "./App.svelte";
import { app } from "./lib/stores/app.svelte";
import { go } from "./lib/stores/nav.svelte";
import { testLogins } from "./lib/stores/events.svelte";

beforeEach(() => {
  vi.clearAllMocks();
  app.status = null;
  app.statusLoaded = false;
  app.firstScreenLoaded = false;
  app.statusError = null;
  go("connections");
  api.appStatus.mockResolvedValue(appStatus());
  api.listConnections.mockResolvedValue(connectionsFixture);
  api.users.mockResolvedValue([]);
  api.audit.mockResolvedValue([]);
});

describe("App shell", () => {
  test("shows the SP address and marks main ready after the first load", async () => {
    render(App);
    await waitFor(() => expect(document.querySelector("main[data-ready]")).not.toBeNull());
    expect(screen.getByTestId("server-status").textContent).toContain("SP on http://127.0.0.1:8080");
    expect(screen.getByText("okta-prod")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  test("a taken port shows a banner that restarts the SP on another port", async () => {
    api.appStatus.mockResolvedValue(
      appStatus({
        server: {
          running: false,
          port: 8080,
          base_url: "http://127.0.0.1:8080",
          error: { code: "port_in_use", message: "127.0.0.1:8080 is in use by another program", detail: null, hint: "Choose another port." },
        },
      }),
    );
    api.startServer.mockResolvedValue({ running: true, port: 8081, base_url: "http://127.0.0.1:8081", error: null });
    render(App);
    const banner = await screen.findByTestId("port-banner");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.textContent).toContain("Port 8080 is already in use");
    const port = screen.getByLabelText("Port") as HTMLInputElement;
    await waitFor(() => expect(port.value).toBe("8081"));
    await fireEvent.input(port, { target: { value: "9090" } });
    await fireEvent.click(screen.getByRole("button", { name: "Start on this port" }));
    expect(api.startServer).toHaveBeenCalledWith(9090);
    await waitFor(() => expect(screen.queryByTestId("port-banner")).toBeNull());
    expect(screen.getByTestId("server-status").textContent).toContain("http://127.0.0.1:8081");
  });

  test("a secret store problem is a warning banner", async () => {
    api.appStatus.mockResolvedValue(
      appStatus({ secret_store_error: { code: "secret_store_unavailable", message: "no D-Bus session", detail: "no_keyring", hint: "Start a keyring." } }),
    );
    render(App);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("secret store is unavailable");
    expect(alert.textContent).toContain("no D-Bus session");
  });

  test("Check again asks the core again, and the banner goes once the store works", async () => {
    const broken = appStatus({
      secret_store_error: {
        code: "secret_store_unavailable",
        message: "refusing to keep secrets in /home/a/secrets: group or others can access it (mode 0755)",
        detail: "directory_not_private",
        hint: "Run `chmod 700 /home/a/secrets` and try again.",
      },
    });
    api.appStatus.mockResolvedValueOnce(broken).mockResolvedValueOnce(broken).mockResolvedValue(appStatus());
    render(App);
    await screen.findByTestId("secret-store-banner");
    await fireEvent.click(screen.getByRole("button", { name: "Check again" }));
    await waitFor(() => expect(api.appStatus).toHaveBeenCalledTimes(2));
    expect(screen.getByTestId("secret-store-banner")).toBeTruthy(); // still broken
    await fireEvent.click(screen.getByRole("button", { name: "Check again" }));
    await waitFor(() => expect(screen.queryByTestId("secret-store-banner")).toBeNull());
    expect(api.appStatus).toHaveBeenCalledTimes(3);
  });

  test("a skip link reaches the main area", async () => {
    render(App);
    const skip = screen.getByRole("link", { name: "Skip to main content" });
    const all = [...document.querySelectorAll<HTMLElement>("a[href], button, input, select, textarea")];
    expect(all[0]).toBe(skip); // the first Tab stop
    await fireEvent.click(skip);
    expect(document.activeElement).toBe(document.getElementById("main-content"));
    expect(document.activeElement?.tagName).toBe("MAIN");
  });

  test("navigation marks the current page", async () => {
    render(App);
    const nav = screen.getByRole("navigation", { name: "Main" });
    const users = screen.getByRole("button", { name: "Users" });
    expect(nav.contains(users)).toBe(true);
    expect(screen.getByRole("button", { name: "Connections" }).getAttribute("aria-current")).toBe("page");
    await fireEvent.click(users);
    expect(users.getAttribute("aria-current")).toBe("page");
    expect(await screen.findByRole("heading", { level: 1, name: "Users" })).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Audit log" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Audit log" })).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "+ Import metadata" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Import IdP metadata" })).toBeTruthy();
  });

  test("the theme choice is applied and remembered", async () => {
    render(App);
    await fireEvent.click(screen.getByRole("button", { name: "Dark" }));
    expect(document.documentElement.getAttribute("data-theme")).toBe("dark");
    expect(localStorage.getItem("handshake.theme")).toBe("dark");
    await fireEvent.click(screen.getByRole("button", { name: "System" }));
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
    expect(localStorage.getItem("handshake.theme")).toBeNull();
  });

  test("test-login events are listened to once and counted", async () => {
    render(App);
    await waitFor(() => expect(testLoginHandlers).toHaveLength(1));
    const before = testLogins.count;
    testLoginHandlers[0]({ id: 1, at: "2026-11-23T14:00:00Z", connection: "okta-prod", kind: "sp_initiated", outcome: "created", failed_check: null, user_id: 1 });
    expect(testLogins.count).toBe(before + 1);
    expect(testLogins.last?.connection).toBe("okta-prod");
    await waitFor(() => expect(api.listConnections).toHaveBeenCalledTimes(2));
  });

  test("the connection view renders the detail screen with its name and tab", async () => {
    render(App);
    await fireEvent.click(await screen.findByRole("button", { name: "okta-prod" }));
    await waitFor(() => expect(detail.default).toHaveBeenCalled());
    const props = detail.default.mock.calls.at(-1)![1] as { name: string; tab: string };
    expect(props.name).toBe("okta-prod");
    expect(props.tab).toBe("");
    expect(document.title).toBe("okta-prod · Handshake");
    expect(screen.getByRole("button", { name: "Connections" }).getAttribute("aria-current")).toBe("true");
  });
});
