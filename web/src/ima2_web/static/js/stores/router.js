// Screens are addressed by the URL hash (#/create, #/gallery, ...), so reload and back work.
import { signal } from "../lib.js";

export const SCREENS = ["create", "edit", "multimode", "node", "canvas", "video", "agent", "cardnews", "gallery", "prompts", "settings"];
// Shown in the navigation only when the server has the feature (capabilities.features).
export const FEATURE_SCREENS = { cardnews: "cardNews" };

function current() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0];
  return SCREENS.includes(name) ? name : "create";
}

export const screen = signal(current());
window.addEventListener("hashchange", () => {
  screen.value = current();
});

export function go(name) {
  if (location.hash !== `#/${name}`) location.hash = `#/${name}`;
  screen.value = name;
}
