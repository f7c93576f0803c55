import { describe, expect, test } from "vitest";
import { ADMIN_ACTIONS, auditWhat, auditWho, plainValue } from "./audit";
import { auditEntry, adminEntry } from "../screens/testFixtures";

describe("audit rows", () => {
  test("a login row shows its outcome and subject", () => {
    const e = auditEntry({ outcome: "rejected" });
    expect(auditWhat(e)).toEqual({ tone: "bad", text: "rejected" });
    expect(auditWho(e)).toBe("ada@example.com");
  });

  test("an admin row shows its action and the OS user", () => {
    const e = adminEntry({ action: "sp_key_rotate", actor: "grace" });
    expect(auditWhat(e)).toEqual({ tone: "info", text: "SP key rotated" });
    expect(auditWho(e)).toBe("grace");
    expect(auditWho(adminEntry({ actor: null }))).toBe("unknown");
  });

  test("every admin action has words", () => {
    for (const [action, words] of Object.entries(ADMIN_ACTIONS)) expect(words, action).toMatch(/^[A-Z]/);
  });

  test("diff values read as plain values", () => {
    expect(plainValue(null)).toBe("—");
    expect(plainValue("rotated")).toBe("rotated");
    expect(plainValue("")).toBe('""');
    expect(plainValue(true)).toBe("true");
    expect(plainValue(120)).toBe("120");
    expect(plainValue(["HTTP-Redirect https://idp/sso", "HTTP-POST https://idp/sso"])).toBe(
      "HTTP-Redirect https://idp/sso\nHTTP-POST https://idp/sso",
    );
    expect(plainValue([])).toBe("(none)");
    expect(plainValue({ op: "equals", value: "admins" })).toBe('{\n  "op": "equals",\n  "value": "admins"\n}');
  });
});
