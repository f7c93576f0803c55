// Vitest setup (vite.config.ts `test.setupFiles`): unmount what @testing-library/svelte
// rendered after each test, since vitest's globals (which it would hook itself) are off.
import "@testing-library/svelte/vitest";
