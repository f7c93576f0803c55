// App navigation: a tiny state router (no library, no URL). App.svelte renders the
// screen for `nav.view`; any screen calls `go(...)` (or `nav.go(...)`) to move.
//
//   go("connections") | go("import") | go("users") | go("audit") | go("demo")
//   go("connection", { name: "okta-prod", tab: "sp" })   // tab optional: "" = the detail's default
//   go("connection", { name: "demo", tab: "test", testLogin: 42 })   // opens that test login's result

export type View = "connections" | "import" | "connection" | "users" | "audit" | "demo";

export interface NavParams {
  /** The connection name, for view "connection". */
  name?: string;
  /** The detail tab id, for view "connection" ("" lets the detail screen choose). */
  tab?: string;
  /** A test login to show on the "test" tab (a scenario's "Open result"). */
  testLogin?: number;
}

export const nav = $state({
  view: "connections" as View,
  name: "",
  tab: "",
  testLogin: null as number | null,
  go,
});

/** Moves to `view`; `name` and `tab` are reset unless given. */
export function go(view: View, params: NavParams = {}): void {
  nav.view = view;
  nav.name = params.name ?? "";
  nav.tab = params.tab ?? "";
  nav.testLogin = params.testLogin ?? null;
}

/** Changes only the detail tab (keeps the connection). */
export function setTab(tab: string): void {
  nav.tab = tab;
}
