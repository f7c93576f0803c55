// Theme choice: "system" follows prefers-color-scheme; "light"/"dark" set
// <html data-theme>. Persisted in localStorage.
export type ThemeChoice = "system" | "light" | "dark";

const KEY = "handshake.theme";

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

export const theme = $state<{ choice: ThemeChoice }>({ choice: "system" });

export function applyTheme(choice: ThemeChoice): void {
  theme.choice = choice;
  const root = document.documentElement;
  if (choice === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", choice);
  try {
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Storage may be unavailable; the choice still applies for this session.
  }
}

/** Applies the stored choice (main.ts calls it before mounting, to avoid a flash). */
export function initTheme(): void {
  applyTheme(read());
}
