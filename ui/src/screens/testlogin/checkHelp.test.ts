import { describe, expect, it } from "vitest";
import { CHECK_HELP, checkHelp, protocolOf } from "./checkHelp";

describe("checkHelp", () => {
  it("tells an OIDC report from a SAML one by its checks", () => {
    expect(protocolOf(["parse", "signature", "audience"])).toBe("saml");
    expect(protocolOf(["discovery", "state", "parse", "signature"])).toBe("oidc");
  });

  it("words shared checks per protocol and OIDC-only checks once", () => {
    expect(checkHelp("signature")).toBe(CHECK_HELP.signature);
    expect(checkHelp("signature", "oidc")).toContain("JWKS");
    expect(checkHelp("nonce", "oidc")).toBe(CHECK_HELP.nonce);
    expect(checkHelp("destination", "oidc")).toBe(CHECK_HELP.destination);
    expect(checkHelp("no_such_check")).toBeUndefined();
  });
});
