import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, test } from "vitest";
import { trace } from "./fixtures";
import TraceView from "./TraceView.svelte";

describe("TraceView", () => {
  test("a field SCIM owns says the login's value was not written, with the note", () => {
    const t = {
      ...trace(),
      ownership: [{ field: "groups", login_value: ["sales"], kept_value: ["engineering"], owner: "scim" as const }],
      notes: ['groups: owned by SCIM; the login\'s ["sales"] was not written (kept ["engineering"])'],
    };
    render(TraceView, { trace: t });
    const badge = screen.getByTestId("owned-by-scim");
    expect(badge.textContent).toContain("SCIM owns it");
    expect(badge.getAttribute("title")).toContain("engineering");
    expect(within(badge.closest("tr")!).getByText("Groups")).toBeTruthy();
    expect(screen.getByText(/owned by SCIM; the login's/)).toBeTruthy();
  });

  test("no ownership, no badge", () => {
    render(TraceView, { trace: trace() });
    expect(screen.queryByTestId("owned-by-scim")).toBeNull();
  });
});
