// Light or dark: the system's choice until the user picks one, which this browser remembers.
const STORAGE_KEY = "patrol.theme";

export type Theme = "light" | "dark";

function systemTheme(): Theme {
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

class ThemeChoice {
  current = $state<Theme>((localStorage.getItem(STORAGE_KEY) as Theme | null) ?? systemTheme());

  constructor() {
    $effect.root(() => {
      $effect(() => {
        document.documentElement.dataset.theme = this.current;
      });
    });
  }

  toggle(): void {
    this.current = this.current === "dark" ? "light" : "dark";
    localStorage.setItem(STORAGE_KEY, this.current);
  }
}

export const theme = new ThemeChoice();
