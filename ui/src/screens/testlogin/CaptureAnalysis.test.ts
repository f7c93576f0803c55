import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, test, vi } from "vitest";

vi.mock("../../lib/api", () => import("../../lib/apiMock"));
import { api, resetApiMock } from "../../lib/apiMock";
import type { ResponseAddressing } from "../../lib/generated/types";
import CaptureAnalysis from "./CaptureAnalysis.svelte";
import { analyzeResult } from "./fixtures";
import { atOptions, sourceHint } from "./judging";

const PROD: ResponseAddressing = {
  entity_id: "https://app.example.com/saml/metadata",
  acs_url: "https://app.example.com/saml/acs",
  issuer: "https://idp.example/",
  issue_instant: "2026-01-15T10:00:00Z",
  in_response_to: "_req42",
  encrypted: false,
};

beforeEach(() => {
  resetApiMock();
  api.responseAddressing.mockResolvedValue(PROD);
  api.analyzeResponse.mockResolvedValue(analyzeResult());
});

async function paste(text = "PHNhbWxwOlJlc3BvbnNl") {
  await fireEvent.input(screen.getByTestId("paste-response"), { target: { value: text } });
}

describe("CaptureAnalysis", () => {
  test("by default a capture is judged as this connection's SP, now", async () => {
    render(CaptureAnalysis, { name: "okta-prod" });
    await paste();
    expect(screen.queryByTestId("judge-as-addressed")).toBeNull();
    await fireEvent.click(screen.getByTestId("analyze-response"));
    expect(api.analyzeResponse).toHaveBeenCalledWith("okta-prod", "PHNhbWxwOlJlc3BvbnNl", {
      judge_as: { kind: "connection" },
      judge_at: { kind: "now" },
    });
    expect((await screen.findByTestId("judged")).textContent).toContain("Judged as this connection's SP");
  });

  test("as the SP it was addressed to: the values are prefilled from the response, shown as such, editable", async () => {
    render(CaptureAnalysis, { name: "okta-prod" });
    await paste();
    await fireEvent.click(screen.getByLabelText(/The SP it was addressed to/));
    const entity = screen.getByLabelText<HTMLInputElement>("SP entityID (Audience)");
    const acs = screen.getByLabelText<HTMLInputElement>("ACS URL (Destination and Recipient)");
    await vi.waitFor(() => expect(entity.value).toBe(PROD.entity_id));
    expect(api.responseAddressing).toHaveBeenCalledWith("PHNhbWxwOlJlc3BvbnNl");
    expect(acs.value).toBe(PROD.acs_url);
    expect(screen.getAllByText("From the response.")).toHaveLength(2);

    await fireEvent.input(entity, { target: { value: "https://staging.example.com/saml/metadata" } });
    expect(screen.getByText(`Edited: the response says ${PROD.entity_id}.`)).toBeTruthy();
    await fireEvent.click(screen.getByLabelText(/The response's own time/));
    await fireEvent.click(screen.getByTestId("analyze-response"));
    expect(api.analyzeResponse).toHaveBeenCalledWith("okta-prod", "PHNhbWxwOlJlc3BvbnNl", {
      judge_as: { kind: "addressed", entity_id: "https://staging.example.com/saml/metadata", acs_url: PROD.acs_url },
      judge_at: { kind: "response" },
    });
  });

  test("an invalid given instant is refused inline, before asking the core", async () => {
    render(CaptureAnalysis, { name: "okta-prod" });
    await paste();
    await fireEvent.click(screen.getByLabelText(/A given instant/));
    await fireEvent.click(screen.getByTestId("analyze-response"));
    expect(await screen.findByText(/not a valid date and time/)).toBeTruthy();
    expect(api.analyzeResponse).not.toHaveBeenCalled();
  });
});

describe("judging words", () => {
  test("where an addressed value comes from", () => {
    expect(sourceHint("a", "a")).toBe("From the response.");
    expect(sourceHint("b", "a")).toBe("Edited: the response says a.");
    expect(sourceHint("", "a")).toBe("Empty: the response's own value (a) is used.");
    expect(sourceHint("", null, true)).toContain("encrypted");
    expect(sourceHint("", null)).toContain("Paste a response");
  });

  test("the response's own time names its IssueInstant once read", () => {
    expect(atOptions(null)[1].help).toContain("Its IssueInstant:");
    expect(atOptions("2026-01-15T10:00:00Z")[1].help).toMatch(/Its IssueInstant, .*2026/);
  });
});

describe("CaptureAnalysis of an OIDC connection", () => {
  test("takes a pasted ID token, judged as the connection's client, at the token's own time", async () => {
    render(CaptureAnalysis, { name: "okta-oidc", protocol: "oidc" });
    expect(screen.getByLabelText("ID token")).toBeTruthy();
    // "Judge as" another SP is a SAML notion: hidden.
    expect(screen.getByText("Judge as").closest("div.stack")?.hasAttribute("hidden")).toBe(true);
    await paste("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
    await fireEvent.click(screen.getByLabelText(/The token's own time/));
    await fireEvent.click(screen.getByTestId("analyze-response"));
    expect(api.analyzeResponse).toHaveBeenCalledWith("okta-oidc", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", {
      judge_as: { kind: "connection" },
      judge_at: { kind: "response" },
    });
    // The SAML "what it was addressed to" is never asked for a token.
    expect(api.responseAddressing).not.toHaveBeenCalled();
  });
});
