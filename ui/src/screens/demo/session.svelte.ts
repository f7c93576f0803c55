// The Demo screen's progress for this app session: the last run of each library scenario and
// of each story step. It lives outside the screen's components, so leaving the screen and
// coming back shows the same results and ticks. Nothing is persisted beyond the session: the
// core keeps what matters (the IdP's people, the accounts, the test logins) and tells the
// story's state itself (DemoStory.fresh, each step's `done`).
import type { ScenarioResult, StoryMode, StoryRun, StoryStep, StoryStepResult } from "../../lib/generated/types";

export const demoSession = $state({
  /** The last result of each library scenario, by name. */
  results: {} as Record<string, ScenarioResult>,
  /** The last result of each story step run in this session. */
  story: {} as Partial<Record<StoryStep, StoryStepResult>>,
  /** The story step run last (its result is the one shown). */
  lastStep: null as StoryStep | null,
  /** JIT alone (the story before SCIM) or hybrid (the demo IdP also pushes SCIM). */
  storyMode: "jit" as StoryMode,
  /** The last side-by-side run: the same story with JIT alone, then in hybrid. */
  sideBySide: null as StoryRun[] | null,
});

/** After a reset of the demo data: the runs refer to test logins and people that are gone. */
export function clearDemoSession(): void {
  demoSession.results = {};
  demoSession.story = {};
  demoSession.lastStep = null;
  demoSession.sideBySide = null;
}
