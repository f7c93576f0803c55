// "Create demo connection", shared by the Demo screen and the empty Connections screen:
// the demo IdP and its `demo` connection (created or reused), then straight to that
// connection's Test login tab, where one click on Start opens the demo IdP's persona picker.
import { api, describeError } from "../../lib/api";
import { action } from "../../lib/action.svelte";
import type { DemoStyle, Protocol } from "../../lib/generated/types";
import { go } from "../../lib/stores/nav.svelte";
import { toast } from "../../lib/stores/toasts.svelte";

/** The styles and their labels come from the core's vendor registry. */
export { DEMO_STYLES } from "../../lib/generated/types";

/** The action: creates (or reuses) the demo connection and opens its Test login tab; a failure is toasted. */
export function createDemoAction() {
  return action(
    async (style: DemoStyle | null, protocol: Protocol = "saml") => {
      // The OIDC demo connection (`demo-oidc`) signs in at the demo OpenID Provider.
      const setup = protocol === "oidc" ? await api.createOidcDemo() : await api.createDemo(style);
      const name = setup.connection.name;
      if (setup.created) toast.success(`Created the demo connection “${name}”. Click Start test login, then pick a person.`);
      else if (setup.metadata_refreshed)
        toast.info(`Reused “${name}” and refreshed its demo ${protocol === "oidc" ? "OP keys" : "IdP metadata"}.`);
      else toast.info(`Reused the demo connection “${name}”.`);
      go("connection", { name, tab: "test" });
      return setup;
    },
    { toastError: (e) => `Could not create the demo connection: ${describeError(e)}` },
  );
}
