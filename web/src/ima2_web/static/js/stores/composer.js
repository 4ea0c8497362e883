// The composer's settings (kept in localStorage) and its references (kept for this tab only).
import { signal, effect, computed } from "../lib.js";
import { providerList, features, capabilities } from "./status.js";

const KEY = "ima2.composer.v2";
const saved = (() => {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}");
  } catch {
    return {};
  }
})();

export const form = {
  prompt: signal(saved.prompt || ""),
  provider: signal(saved.provider || ""),
  model: signal(saved.model || ""),
  quality: signal(saved.quality || "medium"),
  size: signal(saved.size || "1024x1024"),
  customW: signal(saved.customW || 1280),
  customH: signal(saved.customH || 720),
  format: signal(saved.format || "png"),
  moderation: signal(saved.moderation || "low"),
  count: signal(saved.count || 1),
  reasoning: signal(saved.reasoning || "none"),
  webSearch: signal(saved.webSearch ?? false),
  storyboard: signal(saved.storyboard ?? false),
};

/** [{id, name, dataUrl, bytes}] */
export const refs = signal([]);

effect(() => {
  const value = {};
  for (const [key, sig] of Object.entries(form)) value[key] = sig.value;
  localStorage.setItem(KEY, JSON.stringify(value));
});

/** Keep provider and model on values the server accepts (a working default per provider). */
effect(() => {
  const list = providerList.value;
  if (!list.length) return;
  let provider = list.find((p) => p.id === form.provider.value);
  if (!provider) {
    provider = list.find((p) => p.available) || list[0];
    form.provider.value = provider.id;
  }
  if (!provider.models.includes(form.model.value)) form.model.value = provider.defaultModel;
});

export const maxRefs = computed(() => {
  const limit = capabilities.value?.limits?.maxRefCount ?? 5;
  return Math.min(limit, features(form.provider.value).maxRefs);
});

/** The size the request sends: a preset, "auto", or the custom W×H. */
export function requestSize() {
  if (form.size.value === "custom") return `${form.customW.value}x${form.customH.value}`;
  return form.size.value;
}

/** The body of POST /api/generate (and the shared fields of edit and multimode). */
export function generationBody() {
  const provider = form.provider.value;
  const f = features(provider);
  const body = { prompt: form.prompt.value.trim(), provider, model: form.model.value };
  if (f.quality) body.quality = form.quality.value;
  if (f.size) body.size = requestSize();
  if (f.format) body.format = form.format.value;
  if (f.moderation) body.moderation = form.moderation.value;
  if (f.reasoning && form.reasoning.value !== "none") body.reasoningEffort = form.reasoning.value;
  if (f.webSearch === true) body.webSearchEnabled = !!form.webSearch.value;
  if (form.storyboard.value) body.storyboard = true;
  return body;
}

export function applyMetadata(meta) {
  if (!meta || typeof meta !== "object") return false;
  const text = meta.userPrompt || meta.prompt;
  if (text) form.prompt.value = String(text);
  const list = providerList.value;
  if (meta.provider && list.some((p) => p.id === meta.provider)) form.provider.value = meta.provider;
  const provider = list.find((p) => p.id === form.provider.value);
  if (meta.model && provider?.models.includes(meta.model)) form.model.value = meta.model;
  if (meta.quality) form.quality.value = meta.quality;
  if (meta.size) {
    if (SIZE_PRESETS.includes(meta.size)) form.size.value = meta.size;
    else {
      const m = /^(\d+)x(\d+)$/.exec(meta.size);
      if (m) {
        form.size.value = "custom";
        form.customW.value = Number(m[1]);
        form.customH.value = Number(m[2]);
      }
    }
  }
  if (meta.format) form.format.value = meta.format;
  if (meta.moderation) form.moderation.value = meta.moderation;
  return !!text;
}

export const SIZE_PRESETS = [
  "1024x1024",
  "1536x1024",
  "1024x1536",
  "1360x1024",
  "1024x1360",
  "1824x1024",
  "1024x1824",
  "2048x2048",
  "2048x1152",
  "1152x2048",
  "3840x2160",
  "2160x3840",
  "auto",
];
