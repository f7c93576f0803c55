import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock } from "../../lib/apiMock";
import type { ConnectionView, SecurityPolicy } from "../../lib/generated/types";
import { connectionView } from "../testlogin/fixtures";
import SecurityTab from "./SecurityTab.svelte";

beforeEach(() => resetApiMock());

describe("SecurityTab", () => {
  test("saves the edited policy", async () => {
    api.setPolicy.mockImplementation(async (_n: string, policy: SecurityPolicy) => connectionView({ policy }));
    const onchange = vi.fn();
    render(SecurityTab, { conn: connectionView(), onchange });
    const save = screen.getByTestId("save-policy") as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await fireEvent.click(screen.getByLabelText(/Both signed/));
    await fireEvent.input(screen.getByLabelText("Clock skew (seconds)"), { target: { value: "300" } });
    await fireEvent.click(screen.getByLabelText(/Allow SHA-1 signatures/));
    await fireEvent.click(screen.getByLabelText(/Allow IdP-initiated logins/));
    expect(screen.getByText("Unsaved changes")).toBeTruthy();
    await fireEvent.click(save);

    expect(api.setPolicy).toHaveBeenCalledWith("okta-prod", {
      signature: "both",
      require_encrypted_assertion: false,
      clock_skew_seconds: 300,
      allow_idp_initiated: false,
      allow_sha1: true,
      sign_authn_requests: false,
      allow_missing_destination: false,
    });
    await vi.waitFor(() => expect(onchange).toHaveBeenCalled());
    expect((onchange.mock.calls[0][0] as ConnectionView).policy.signature).toBe("both");
    expect(screen.queryByText("Unsaved changes")).toBeNull();
  });

  test("a missing Destination can be allowed, with its warning", async () => {
    api.setPolicy.mockImplementation(async (_n: string, policy: SecurityPolicy) => connectionView({ policy }));
    render(SecurityTab, { conn: connectionView(), onchange: vi.fn() });
    const option = screen.getByLabelText(/Allow a signed Response without Destination/) as HTMLInputElement;
    expect(option.checked).toBe(false);
    expect(screen.getByText(/cannot be replayed/).classList.contains("warn-text")).toBe(false);
    await fireEvent.click(option);
    expect(screen.getByText(/cannot be replayed/).classList.contains("warn-text")).toBe(true);
    await fireEvent.click(screen.getByTestId("save-policy"));
    expect(api.setPolicy).toHaveBeenCalledWith("okta-prod", expect.objectContaining({ allow_missing_destination: true }));
  });

  test("an out-of-range clock skew cannot be saved; Reset restores", async () => {
    render(SecurityTab, { conn: connectionView(), onchange: vi.fn() });
    await fireEvent.input(screen.getByLabelText("Clock skew (seconds)"), { target: { value: "900" } });
    expect(screen.getByText("Enter a whole number from 0 to 600.")).toBeTruthy();
    expect((screen.getByTestId("save-policy") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "Reset" }));
    expect((screen.getByLabelText("Clock skew (seconds)") as HTMLInputElement).value).toBe("120");
  });

  test("a save error is shown", async () => {
    api.setPolicy.mockRejectedValue(new Error("storage is read-only"));
    render(SecurityTab, { conn: connectionView(), onchange: vi.fn() });
    await fireEvent.click(screen.getByLabelText(/Require an encrypted assertion/));
    await fireEvent.click(screen.getByTestId("save-policy"));
    expect((await screen.findByRole("alert")).textContent).toContain("storage is read-only");
  });
});
