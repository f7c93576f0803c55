import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { ApiError, api, onTestLogin, resetApiMock, testLoginHandlers, unlisten } from "../../lib/apiMock";
import TestLoginPanel from "./TestLoginPanel.svelte";
import { analyzeResult, createdReport, loginDetail, rejectedReport, summary } from "./fixtures";

beforeEach(() => {
  resetApiMock();
  localStorage.clear();
  api.testLogins.mockResolvedValue([summary(2, "rejected")]);
});

async function listening() {
  await vi.waitFor(() => expect(testLoginHandlers).toHaveLength(1));
}

describe("TestLoginPanel", () => {
  test("start calls openLogin and shows the wait state", async () => {
    api.openLogin.mockResolvedValue("http://127.0.0.1:7777/saml/okta-prod/login");
    render(TestLoginPanel, { name: "okta-prod" });
    await fireEvent.click(screen.getByTestId("start-test-login"));
    expect(api.openLogin).toHaveBeenCalledWith("okta-prod", true);
    expect(await screen.findByText("Waiting for the IdP to post to the ACS…")).toBeTruthy();
    expect(screen.getByText("http://127.0.0.1:7777/saml/okta-prod/login")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Stop waiting" }));
    expect(screen.queryByText("Waiting for the IdP to post to the ACS…")).toBeNull();
  });

  test("the system browser choice is passed and remembered", async () => {
    api.openLogin.mockResolvedValue("http://x/login");
    const { unmount } = render(TestLoginPanel, { name: "okta-prod" });
    await fireEvent.click(screen.getByRole("button", { name: "System browser" }));
    await fireEvent.click(screen.getByTestId("start-test-login"));
    expect(api.openLogin).toHaveBeenCalledWith("okta-prod", false);
    unmount();
    render(TestLoginPanel, { name: "okta-prod" });
    expect(screen.getByRole("button", { name: "System browser" }).getAttribute("aria-pressed")).toBe("true");
  });

  test("opened for a test login (a scenario's Open result), it shows that exact result", async () => {
    api.testLogin.mockResolvedValue(loginDetail(42, rejectedReport()));
    render(TestLoginPanel, { name: "okta-prod", open: 42 });
    const result = await screen.findByTestId("test-login-result");
    expect(api.testLogin).toHaveBeenCalledWith(42);
    expect(result.getAttribute("data-test-login-id")).toBe("42");
    expect(screen.queryByText(/No result on screen/)).toBeNull();
  });

  test("a start error is shown", async () => {
    api.openLogin.mockRejectedValue(new Error("the embedded SP is not running on port 7777"));
    render(TestLoginPanel, { name: "okta-prod" });
    await fireEvent.click(screen.getByTestId("start-test-login"));
    expect((await screen.findByRole("alert")).textContent).toContain("not running on port 7777");
  });

  test("no browser: says so at once, with the login URL to copy and the app window to use instead", async () => {
    const url = "http://127.0.0.1:7777/saml/okta-prod/login";
    api.openLogin.mockRejectedValueOnce(
      new ApiError("no_browser", "xdg-open found no browser to open the sign-in page (exit status: 3)", "opener_failed", "Open the login URL in a browser yourself (copy it).")
    );
    api.loginUrl.mockResolvedValue(url);
    render(TestLoginPanel, { name: "okta-prod" });
    await listening();
    await fireEvent.click(screen.getByRole("button", { name: "System browser" }));
    await fireEvent.click(screen.getByTestId("start-test-login"));
    const box = await screen.findByTestId("no-browser");
    expect(box.textContent).toContain("No browser opened the sign-in page");
    expect(box.textContent).toContain("found no browser");
    expect(api.loginUrl).toHaveBeenCalledWith("okta-prod");
    expect(screen.getByTestId("no-browser-url").textContent).toBe(url);
    expect(screen.getByRole("button", { name: "Copy login URL" }).getAttribute("data-copy-value")).toBe(url);
    expect(screen.queryByText("Waiting for the IdP to post to the ACS…")).toBeNull(); // no endless wait
    expect(screen.queryByText("Could not start the test login")).toBeNull(); // not a raw error banner

    // A result from the URL opened by hand still shows.
    api.testLogin.mockResolvedValue(loginDetail(9, createdReport()));
    testLoginHandlers[0](summary(9));
    await screen.findByTestId("test-login-result");

    api.openLogin.mockResolvedValue(url);
    await fireEvent.click(screen.getByRole("button", { name: "Sign in in an app window instead" }));
    expect(api.openLogin).toHaveBeenLastCalledWith("okta-prod", true);
    await vi.waitFor(() => expect(screen.queryByTestId("no-browser")).toBeNull());
    expect(screen.getByRole("button", { name: "App window" }).getAttribute("aria-pressed")).toBe("true");
  });

  test("an event for this connection loads and shows the result", async () => {
    api.testLogin.mockResolvedValue(loginDetail(9, createdReport()));
    render(TestLoginPanel, { name: "okta-prod" });
    await listening();
    api.testLogins.mockResolvedValue([summary(9), summary(2, "rejected")]);
    testLoginHandlers[0](summary(9));
    const result = await screen.findByTestId("test-login-result");
    expect(api.testLogin).toHaveBeenCalledWith(9);
    expect(result.getAttribute("data-test-login-id")).toBe("9");
    expect(screen.getByTestId("outcome").textContent).toContain("a new user was created");
    await vi.waitFor(() => expect(api.testLogins).toHaveBeenCalledTimes(2));
    const panel = screen.getByTestId("test-login-panel");
    await vi.waitFor(() => expect(panel.getAttribute("data-rendered-at")).toBeTruthy());
    expect(Number(panel.getAttribute("data-rendered-at"))).toBeGreaterThanOrEqual(Number(panel.getAttribute("data-event-at")));
    // The wall clock at render (compared with the ACS's timestamp by the desktop test).
    expect(Math.abs(Number(panel.getAttribute("data-rendered-epoch")) - Date.now())).toBeLessThan(60_000);
  });

  test("events for other connections are ignored", async () => {
    render(TestLoginPanel, { name: "okta-prod" });
    await listening();
    testLoginHandlers[0](summary(10, "created", "entra-test"));
    await new Promise((r) => setTimeout(r, 20));
    expect(api.testLogin).not.toHaveBeenCalled();
    expect(screen.queryByTestId("test-login-result")).toBeNull();
  });

  test("stops listening when destroyed", async () => {
    const { unmount } = render(TestLoginPanel, { name: "okta-prod" });
    await listening();
    expect(onTestLogin).toHaveBeenCalled();
    unmount();
    expect(unlisten).toHaveBeenCalledTimes(1);
    expect(testLoginHandlers).toHaveLength(0);
  });

  test("earlier logins are listed and reopen in the result view", async () => {
    api.testLogin.mockResolvedValue(loginDetail(2, rejectedReport()));
    render(TestLoginPanel, { name: "okta-prod" });
    const list = await screen.findByTestId("earlier-logins");
    await vi.waitFor(() => expect(list.textContent).toContain("Rejected"));
    expect(list.textContent).toContain("audience");
    await fireEvent.click(screen.getByRole("button", { name: /Open test login #2/ }));
    const result = await screen.findByTestId("test-login-result");
    expect(result.getAttribute("data-test-login-id")).toBe("2");
    expect(api.testLogins).toHaveBeenCalledWith("okta-prod", 20);
  });

  test("a pasted response is analyzed as a dry run", async () => {
    api.analyzeResponse.mockResolvedValue(analyzeResult());
    render(TestLoginPanel, { name: "okta-prod" });
    await fireEvent.input(screen.getByTestId("paste-response"), { target: { value: "PHNhbWxwOlJlc3BvbnNl" } });
    await fireEvent.click(screen.getByLabelText(/A given instant/));
    await fireEvent.input(screen.getByLabelText("Instant (your local time)"), { target: { value: "2025-02-01T10:00:00" } });
    await fireEvent.click(screen.getByTestId("analyze-response"));
    expect(api.analyzeResponse).toHaveBeenCalledWith("okta-prod", "PHNhbWxwOlJlc3BvbnNl", {
      judge_as: { kind: "connection" },
      judge_at: { kind: "instant", at: new Date("2025-02-01T10:00:00").toISOString() },
    });
    const result = await screen.findByTestId("test-login-result");
    expect(result.textContent).toContain("Judged as this connection's SP");
    expect(result.textContent).toContain("_req42");
  });
});
