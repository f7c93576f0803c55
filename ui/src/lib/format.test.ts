import { describe, expect, test } from "vitest";
import {
  bindingName, dateInputToRfc3339, formatDate, formatDateTime, formatJson, formatRelative, isoTitle, outcomeTone,
  plural, userLabel, validateConnectionName,
} from "./format";

describe("dates", () => {
  test("formatDateTime is local and short", () => {
    const d = new Date(2026, 10, 23, 14, 5); // local time
    expect(formatDateTime(d)).toBe("23 Nov 2026, 14:05");
    expect(formatDateTime(d.toISOString())).toBe("23 Nov 2026, 14:05");
    expect(formatDate(d)).toBe("23 Nov 2026");
  });

  test("absent and unparsable values", () => {
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime(undefined)).toBe("—");
    expect(formatDateTime("not a date")).toBe("not a date");
    expect(isoTitle(null)).toBe("");
    expect(isoTitle("2026-11-23T14:05:00Z")).toBe("2026-11-23T14:05:00.000Z");
  });

  test("formatRelative", () => {
    const now = new Date("2026-11-23T14:05:00Z");
    const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
    expect(formatRelative(ago(10), now)).toBe("just now");
    expect(formatRelative(ago(180), now)).toBe("3 min ago");
    expect(formatRelative(ago(2 * 3600), now)).toBe("2 h ago");
    expect(formatRelative(ago(5 * 86400), now)).toBe("5 d ago");
    expect(formatRelative(ago(-3 * 86400), now)).toBe("in 3 d");
    expect(formatRelative(ago(60 * 86400), now)).toBe(formatDate(ago(60 * 86400)));
    expect(formatRelative(null, now)).toBe("—");
  });

  test("dateInputToRfc3339 gives the start of the local day", () => {
    const iso = dateInputToRfc3339("2026-11-23");
    expect(iso).toBe(new Date(2026, 10, 23).toISOString());
    expect(dateInputToRfc3339("23/11/2026")).toBeNull();
    expect(dateInputToRfc3339("")).toBeNull();
  });
});

describe("text", () => {
  test("plural", () => {
    expect(plural(1, "user")).toBe("1 user");
    expect(plural(0, "user")).toBe("0 users");
    expect(plural(1200, "entry", "entries")).toBe("1,200 entries");
  });

  test("formatJson", () => {
    expect(formatJson(null)).toBe("—");
    expect(formatJson("a")).toBe('"a"');
    expect(formatJson(["x", "y"])).toBe('[\n  "x",\n  "y"\n]');
  });

  test("bindingName", () => {
    expect(bindingName("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")).toBe("HTTP-POST");
    expect(bindingName("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")).toBe("HTTP-Redirect");
    expect(bindingName("urn:example:custom:Thing")).toBe("Thing");
  });

  test("validateConnectionName follows the core's rule", () => {
    expect(validateConnectionName("okta-prod_1.x")).toBeNull();
    expect(validateConnectionName("")).not.toBeNull();
    expect(validateConnectionName("a".repeat(64))).toBeNull();
    expect(validateConnectionName("a".repeat(65))).toMatch(/64/);
    expect(validateConnectionName("-okta")).toMatch(/Start/);
    expect(validateConnectionName("okta prod")).toMatch(/only/);
    expect(validateConnectionName("okta/prod")).toMatch(/only/);
  });

  test("outcomeTone and userLabel", () => {
    expect(outcomeTone("created")).toBe("ok");
    expect(outcomeTone("rejected")).toBe("bad");
    expect(outcomeTone("denied")).toBe("warn");
    expect(outcomeTone("unchanged")).toBe("muted");
    const base = { id: 7, display_name: null, given_name: null, family_name: null, username: null, email: null };
    expect(userLabel(base)).toBe("User #7");
    expect(userLabel({ ...base, given_name: "Ada", family_name: "Lovelace" })).toBe("Ada Lovelace");
    expect(userLabel({ ...base, email: "a@x.io" })).toBe("a@x.io");
  });
});
