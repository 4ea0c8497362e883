// The studio shell: header, navigation, the current screen, the in-flight panel and toasts.
import { html, render, useEffect } from "./lib.js";
import { t } from "./strings.js";
import { apiHooks } from "./api.js";
import { screen, SCREENS, FEATURE_SCREENS, go } from "./stores/router.js";
import { capabilities, health, healthError, sandbox, startStatusPolling } from "./stores/status.js";
import { theme } from "./stores/prefs.js";
import { eventsState, connectEvents, reconcile } from "./stores/jobs.js";
import { InflightPanel } from "./components/inflight.js";
import { Toasts } from "./components/toasts.js";
import { recallFromDrop } from "./components/recall.js";
import { CreateScreen } from "./screens/create.js";
import { GalleryScreen } from "./screens/gallery.js";
import { SettingsScreen } from "./screens/settings.js";
import { EditScreen } from "./screens/edit.js";
import { MultimodeScreen } from "./screens/multimode.js";
import { PromptsScreen } from "./screens/prompts.js";
import { NodeScreen } from "./screens/node.js";
import { VideoScreen } from "./screens/video.js";
import { CanvasScreen } from "./screens/canvas.js";
import { AgentScreen } from "./screens/agent.js";
import { CardNewsScreen } from "./screens/cardnews.js";

const SCREEN_VIEWS = {
  create: CreateScreen,
  edit: EditScreen,
  multimode: MultimodeScreen,
  node: NodeScreen,
  canvas: CanvasScreen,
  video: VideoScreen,
  agent: AgentScreen,
  cardnews: CardNewsScreen,
  gallery: GalleryScreen,
  prompts: PromptsScreen,
  settings: SettingsScreen,
};

function Problem() {
  if (healthError.value) return html`<span class="badge bad">${t("header.unreachable")}</span>`;
  const h = health.value;
  if (h && !h.ok) {
    const down = Object.entries(h.services || {}).filter(([, s]) => s.status !== "up").map(([name]) => name);
    if (h.nats?.status !== "up") down.push("nats");
    return html`<span class="badge bad" title=${down.join(", ")}>${t("header.degraded", { parts: down.join(", ") })}</span>`;
  }
  if (eventsState.value === "reconnecting") return html`<span class="badge warn">${t("header.liveReconnecting")}</span>`;
  return null;
}

function Header() {
  return html`<header class="app-header">
    <a class="brand" href="#/create" aria-label=${t("header.home")}><span class="brand-mark" aria-hidden="true"></span>ima2</a>
    <div class="header-status" role="status" aria-live="polite">
      ${sandbox.value && html`<span class="badge sandbox" title=${t("header.sandboxHint")}>${t("header.sandbox")}</span>`}
      <${Problem} />
    </div>
    <label class="theme-pick">
      <span class="sr-only">${t("header.theme")}</span>
      <select aria-label=${t("header.theme")} value=${theme.value} onChange=${(e) => (theme.value = e.currentTarget.value)}>
        <option value="system">${t("theme.system")}</option>
        <option value="light">${t("theme.light")}</option>
        <option value="dark">${t("theme.dark")}</option>
      </select>
    </label>
  </header>`;
}

function Nav() {
  return html`<nav class="app-nav" aria-label=${t("nav.label")}>
    ${SCREENS.filter((name) => !FEATURE_SCREENS[name] || capabilities.value?.features?.[FEATURE_SCREENS[name]]).map(
      (name) => html`<a
        href=${`#/${name}`}
        aria-current=${screen.value === name ? "page" : undefined}
        onClick=${(e) => {
          e.preventDefault();
          go(name);
        }}
        >${t(`nav.${name}`)}</a
      >`,
    )}
  </nav>`;
}

function App() {
  useEffect(() => {
    const onDragOver = (e) => {
      if (e.dataTransfer?.types?.includes("Files")) e.preventDefault();
    };
    const onDrop = (e) => {
      if (e.defaultPrevented || !e.dataTransfer?.files?.length) return;
      e.preventDefault();
      recallFromDrop(e.dataTransfer.files[0]);
    };
    window.addEventListener("dragover", onDragOver);
    window.addEventListener("drop", onDrop);
    return () => {
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("drop", onDrop);
    };
  }, []);
  const View = SCREEN_VIEWS[screen.value];
  return html`
    <a class="skip-link" href="#main">${t("nav.skip")}</a>
    <${Header} />
    <${Nav} />
    <div class="app-body">
      <main id="main" tabindex="-1" aria-label=${t(`nav.${screen.value}`)}><${View} /></main>
      <${InflightPanel} />
    </div>
    <${Toasts} />`;
}

export function start() {
  apiHooks.onUnauthorized = () => location.reload();
  startStatusPolling();
  connectEvents();
  reconcile();
  render(html`<${App} />`, document.getElementById("app"));
  document.documentElement.dataset.ready = "true";
}

start();
