import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, test, vi } from "vitest";
import ConfirmDialog from "./ConfirmDialog.svelte";
import ErrorBanner from "./ErrorBanner.svelte";
import Tabs from "./Tabs.svelte";
import { ApiError } from "../api";

describe("ConfirmDialog", () => {
  test("confirm, cancel and Escape", async () => {
    const onconfirm = vi.fn();
    const oncancel = vi.fn();
    render(ConfirmDialog, { open: true, title: "Delete x?", message: "Sure?", confirmLabel: "Delete", danger: true, onconfirm, oncancel });
    const dlg = screen.getByRole("alertdialog");
    expect(dlg.getAttribute("aria-labelledby")).toBeTruthy();
    expect(screen.getByText("Sure?")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Delete" }).className).toContain("danger");
    await fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(onconfirm).toHaveBeenCalledTimes(1);
    await fireEvent(dlg, new Event("cancel", { cancelable: true }));
    expect(oncancel).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(oncancel).toHaveBeenCalledTimes(2);
  });

  test("closed: nothing to see", () => {
    render(ConfirmDialog, { open: false, title: "T", onconfirm: vi.fn(), oncancel: vi.fn() });
    expect(screen.queryByRole("button", { name: "Confirm" })).toBeNull();
  });
});

describe("Tabs", () => {
  test("arrow keys, Home and End select tabs", async () => {
    const onselect = vi.fn();
    const tabs = [
      { id: "a", label: "A" },
      { id: "b", label: "B" },
      { id: "c", label: "C" },
    ];
    render(Tabs, { tabs, selected: "a", onselect, label: "Demo" });
    expect(screen.getByRole("tablist", { name: "Demo" })).toBeTruthy();
    const a = screen.getByRole("tab", { name: "A" });
    expect(a.getAttribute("tabindex")).toBe("0");
    expect(screen.getByRole("tab", { name: "B" }).getAttribute("tabindex")).toBe("-1");
    await fireEvent.keyDown(a, { key: "ArrowRight" });
    expect(onselect).toHaveBeenLastCalledWith("b");
    await fireEvent.keyDown(a, { key: "ArrowLeft" });
    expect(onselect).toHaveBeenLastCalledWith("c");
    await fireEvent.keyDown(a, { key: "End" });
    expect(onselect).toHaveBeenLastCalledWith("c");
    await fireEvent.keyDown(a, { key: "Home" });
    expect(onselect).toHaveBeenLastCalledWith("a");
  });
});

describe("ErrorBanner", () => {
  test("describes an ApiError with its code", () => {
    render(ErrorBanner, { error: new ApiError("network", "timed out"), title: "Could not fetch" });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("Could not fetch");
    expect(alert.textContent).toContain("Network problem: timed out");
    expect(alert.textContent).toContain("network");
  });

  test("renders nothing without an error", () => {
    render(ErrorBanner, { error: null });
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
