// Appearance: the theme follows the system unless the user picks light or dark.
import { signal, effect } from "../lib.js";

const KEY = "ima2.theme";
export const theme = signal(localStorage.getItem(KEY) || "system");

effect(() => {
  const value = theme.value;
  localStorage.setItem(KEY, value);
  if (value === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = value;
});
