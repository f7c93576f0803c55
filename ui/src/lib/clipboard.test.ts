import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";

const plugin = vi.hoisted(() => ({ writeText: vi.fn<(text: string) => Promise<void>>() }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => plugin);

import { copy, copyFailure, dismissCopyFailure } from "./clipboard.svelte";
import CopyButton from "./components/CopyButton.svelte";
import CopyFallback from "./components/CopyFallback.svelte";

const browserWrite = vi.fn<(text: string) => Promise<void>>();

function inTauri(yes: boolean) {
  const w = window as unknown as Record<string, unknown>;
  if (yes) w.__TAURI_INTERNALS__ = {};
  else delete w.__TAURI_INTERNALS__;
}

beforeEach(() => {
  plugin.writeText.mockReset().mockResolvedValue(undefined);
  browserWrite.mockReset().mockResolvedValue(undefined);
  Object.defineProperty(navigator, "clipboard", { value: { writeText: browserWrite }, configurable: true });
  dismissCopyFailure();
});
afterEach(() => inTauri(false));

describe("copy", () => {
  test("in the app, writes through the clipboard plugin, not the webview's clipboard", async () => {
    inTauri(true);
    expect(await copy("<md:EntityDescriptor/>")).toBe(true);
    expect(plugin.writeText).toHaveBeenCalledWith("<md:EntityDescriptor/>");
    expect(browserWrite).not.toHaveBeenCalled();
    expect(copyFailure.current).toBeNull();
  });

  test("outside the app, writes through navigator.clipboard", async () => {
    expect(await copy("AB:CD")).toBe(true);
    expect(browserWrite).toHaveBeenCalledWith("AB:CD");
    expect(plugin.writeText).not.toHaveBeenCalled();
  });

  test("a failed copy keeps the text, what it is and why, for the fallback", async () => {
    inTauri(true);
    plugin.writeText.mockRejectedValue("clipboard unavailable: no display");
    const save = vi.fn();
    expect(await copy("<xml/>", { what: "the SP metadata", save })).toBe(false);
    expect(copyFailure.current).toEqual({
      text: "<xml/>",
      what: "the SP metadata",
      reason: "clipboard unavailable: no display",
      save,
    });
  });

  test("a browser without clipboard access fails into the fallback too", async () => {
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    expect(await copy("x")).toBe(false);
    expect(copyFailure.current?.reason).toBe("this browser gives the page no clipboard access");
  });
});

describe("CopyFallback", () => {
  test("shows the text selected for Ctrl+C, offers Save, and closes", async () => {
    render(CopyFallback);
    inTauri(true);
    plugin.writeText.mockRejectedValue(new Error("The request is not allowed by the user agent"));
    const save = vi.fn();
    await copy("<md:EntityDescriptor/>", { what: "the SP metadata", save });

    const area = (await screen.findByLabelText("the SP metadata to copy")) as HTMLTextAreaElement;
    expect(area.value).toBe("<md:EntityDescriptor/>");
    expect(area.readOnly).toBe(true);
    await vi.waitFor(() => expect([area.selectionStart, area.selectionEnd]).toEqual([0, area.value.length]));
    expect(screen.getByTestId("copy-fallback").textContent).toContain("The request is not allowed by the user agent");

    await fireEvent.click(screen.getByRole("button", { name: "Save to a file…" }));
    expect(save).toHaveBeenCalledOnce();
    expect(copyFailure.current).toBeNull();
    await vi.waitFor(() => expect(screen.queryByTestId("copy-fallback")).toBeNull());
  });

  test("without a way to save, only selecting is offered", async () => {
    render(CopyFallback);
    plugin.writeText.mockRejectedValue(new Error("denied"));
    inTauri(true);
    await copy("http://127.0.0.1:7777/saml/acme/login", { what: "the login URL" });
    await screen.findByTestId("copy-fallback");
    expect(screen.queryByRole("button", { name: "Save to a file…" })).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(copyFailure.current).toBeNull();
  });
});

describe("CopyButton", () => {
  test("copies through the helper and says so", async () => {
    inTauri(true);
    render(CopyButton, { value: "AB:CD", label: "Copy fingerprint" });
    await fireEvent.click(screen.getByRole("button", { name: "Copy fingerprint" }));
    expect(plugin.writeText).toHaveBeenCalledWith("AB:CD");
    expect(await screen.findByText("Copied to clipboard")).toBeTruthy();
  });

  test("a failure says so and opens the fallback with the value", async () => {
    inTauri(true);
    plugin.writeText.mockRejectedValue(new Error("denied"));
    render(CopyButton, { value: "AB:CD", label: "Copy fingerprint" });
    await fireEvent.click(screen.getByRole("button", { name: "Copy fingerprint" }));
    expect(await screen.findByText("Could not copy")).toBeTruthy();
    expect(copyFailure.current).toMatchObject({ text: "AB:CD", what: "the fingerprint" });
  });
});
