// The words of the "Analyze a captured SAMLResponse" form: the judging choices, and where an
// "as addressed" value comes from (the response, or the admin's edit).
import { formatTime } from "../detail/format";

export type AsChoice = "connection" | "addressed";
export type AtChoice = "now" | "response" | "instant";

export const AS_OPTIONS: { id: AsChoice; label: string; help: string }[] = [
  {
    id: "connection",
    label: "This connection's SP",
    help: "Its SP entityID and ACS URL, as its ACS would judge a response posted to it.",
  },
  {
    id: "addressed",
    label: "The SP it was addressed to",
    help: "For a capture from another SP (production): its Audience and Destination, taken from the response. The connection is not changed.",
  },
];

/** The "Judge at" choices; the response's own time names its IssueInstant once it is read. */
export function atOptions(issueInstant: string | null): { id: AtChoice; label: string; help: string }[] {
  return [
    { id: "now", label: "Now", help: "The clock. A capture older than a few minutes has expired." },
    {
      id: "response",
      label: "The response's own time",
      help: `${issueInstant ? `Its IssueInstant, ${formatTime(issueInstant)}` : "Its IssueInstant"}: the time checks pass only if they would have then.`,
    },
    { id: "instant", label: "A given instant", help: "When it was captured, say." },
  ];
}

/** The hint under an "as addressed" value: from the response, edited, or to be entered. */
export function sourceHint(value: string, fromResponse: string | null | undefined, encrypted = false): string {
  if (fromResponse && value === fromResponse) return "From the response.";
  if (fromResponse && value) return `Edited: the response says ${fromResponse}.`;
  if (fromResponse) return `Empty: the response's own value (${fromResponse}) is used.`;
  if (encrypted) return "The assertion is encrypted, so the response's value cannot be read: enter it.";
  return value ? "As you entered it." : "Paste a response to fill this from it, or enter it.";
}

/** The "Judge at" choices for a pasted ID token. */
export const ID_TOKEN_AT_OPTIONS: { id: AtChoice; label: string; help: string }[] = [
  { id: "now", label: "Now", help: "The clock. A token older than its lifetime (often an hour) has expired." },
  { id: "response", label: "The token's own time", help: "Its iat: the time checks pass only if they would have then." },
  { id: "instant", label: "A given instant", help: "When it was captured, say." },
];
