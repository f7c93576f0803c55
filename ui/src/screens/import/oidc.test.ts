import { describe, expect, test } from "vitest";
import { clientAuthChoices, defaultScopes, guidesFor, parseScopes, redirectUrisFor, scopesProblem, uriOnHost, urlProblem } from "./oidc";

describe("oidc helpers", () => {
  test("scopes are split on spaces or commas, deduplicated, and need openid", () => {
    expect(parseScopes(" openid  email,profile email ")).toEqual(["openid", "email", "profile"]);
    expect(scopesProblem("email profile")).toMatch(/openid/);
    expect(scopesProblem("openid")).toBeNull();
    expect(defaultScopes(["openid", "groups"])).toBe("openid email profile groups");
    expect(defaultScopes([])).toBe("openid email profile");
  });

  test("client authentications follow what the OP offers (all when it lists none)", () => {
    expect(clientAuthChoices(["client_secret_post"]).map((c) => c.id)).toEqual(["client_secret_post"]);
    expect(clientAuthChoices([]).map((c) => c.id)).toEqual(["client_secret_basic", "client_secret_post", "none"]);
    expect(clientAuthChoices(["private_key_jwt", "none"]).map((c) => c.id)).toEqual(["none"]);
  });

  test("redirect URIs follow the connection name", () => {
    const uris = ["http://127.0.0.1:7777/oidc/okta/callback", "http://localhost:7777/oidc/okta/callback"];
    expect(redirectUrisFor(uris, "okta", "acme-okta")).toEqual([
      "http://127.0.0.1:7777/oidc/acme-okta/callback",
      "http://localhost:7777/oidc/acme-okta/callback",
    ]);
    expect(redirectUrisFor(uris, "okta", "")).toEqual(uris);
    expect(uriOnHost(uris, "localhost")).toBe(uris[1]);
  });

  test("the detected vendor's paste guide comes first; Entra gets the localhost URI", () => {
    const guides = guidesFor({ id: "entra", label: "Microsoft Entra ID", preset: true, oidc_preset: true });
    expect(guides[0].vendor).toBe("entra");
    expect(guides[0].host).toBe("localhost");
    expect(guides[0].where).toContain("Authentication");
    expect(guidesFor(null).map((g) => g.vendor)).toEqual(["entra", "okta", "google", "keycloak", "auth0"]);
    expect(guidesFor("auth0")[0].where).toContain("Allowed Callback URLs");
  });

  test("URLs must be http(s)", () => {
    expect(urlProblem("", "token endpoint")).toBe("Enter the token endpoint.");
    expect(urlProblem("", "userinfo endpoint", true)).toBeNull();
    expect(urlProblem("ftp://x", "x")).toMatch(/http/);
    expect(urlProblem("nope", "x")).toMatch(/not a valid URL/);
    expect(urlProblem("https://op.example", "x")).toBeNull();
  });
});
