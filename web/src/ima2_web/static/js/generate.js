// Generate panel: provider/model/options form, POST /api/generate {async:true, requestId},
// then a progress card (jobs.js) that follows the job on the shared event channel.

import { api } from "./api.js";
import { $, clear, el, showError } from "./dom.js";
import { newRequestId } from "./jobs.js";

const GPT_MODELS = ["gpt-5.4-mini", "gpt-5.4", "gpt-5.5"];
const GROK_MODELS = ["grok-imagine-image", "grok-imagine-image-quality"];

/** Built-in catalogue, used as-is when /api/providers does not say more. */
export const DEFAULT_PROVIDERS = [
  { id: "oauth", label: "OpenAI · Codex OAuth", models: GPT_MODELS },
  { id: "api", label: "OpenAI · API key", models: GPT_MODELS },
  { id: "grok", label: "Grok · bundled proxy", models: GROK_MODELS },
  { id: "grok-api", label: "Grok · xAI API key", models: GROK_MODELS },
  { id: "gemini-api", label: "Gemini API", models: ["nano-banana-2", "nano-banana-pro"] },
  { id: "agy", label: "Gemini · Antigravity CLI", models: ["nano-banana-2"], fixedSize: true },
];

const STORAGE_KEY = "ima2.generate.v1";
const FIELDS = ["provider", "model", "quality", "size", "format", "moderation", "count"];

function modelIds(list) {
  if (!Array.isArray(list)) return null;
  const ids = list
    .map((m) => (typeof m === "string" ? m : m && typeof m === "object" ? m.id || m.name : null))
    .filter((m) => typeof m === "string" && m);
  return ids.length ? ids : null;
}

function availability(value) {
  if (value === true || value === false) return value;
  if (value && typeof value === "object") {
    if (typeof value.available === "boolean") return value.available;
    if (typeof value.enabled === "boolean") return value.enabled;
    if (typeof value.configured === "boolean") return value.configured;
    if (typeof value.status === "string") return ["ready", "up", "ok", "available"].includes(value.status);
  }
  return null;
}

/**
 * Merge GET /api/providers into the catalogue.
 * Preferred shape: {providers: {<id>: {available: bool, label?, models?, defaultModel?, reason?}}}
 * (an array of {id, ...} is accepted too). Reference shape {oauth: bool, apiKey: bool} is
 * understood as a fallback. Unknown availability (null) leaves the provider selectable.
 */
export function mergeProviders(data) {
  const byId = new Map(DEFAULT_PROVIDERS.map((p) => [p.id, { ...p, available: null, reason: null }]));
  let entries = [];
  const raw = data && data.providers;
  if (Array.isArray(raw)) entries = raw.filter((p) => p && p.id).map((p) => [String(p.id), p]);
  else if (raw && typeof raw === "object") entries = Object.entries(raw);
  for (const [id, info] of entries) {
    const base = byId.get(id) || { id, label: id, models: [] };
    const obj = info && typeof info === "object" ? info : {};
    byId.set(id, {
      ...base,
      label: typeof obj.label === "string" && obj.label ? obj.label : base.label,
      models: modelIds(obj.models) || base.models,
      defaultModel: typeof obj.defaultModel === "string" ? obj.defaultModel : base.defaultModel,
      available: availability(info),
      reason: typeof obj.reason === "string" ? obj.reason : null,
    });
  }
  if (!entries.length && data && typeof data === "object") {
    if (typeof data.oauth === "boolean") byId.get("oauth").available = data.oauth;
    if (typeof data.apiKey === "boolean") byId.get("api").available = data.apiKey;
  }
  return [...byId.values()];
}

export function createGenerate({ jobs, onSubmitted }) {
  const form = $("#generate-form");
  const prompt = $("#prompt");
  const provider = $("#provider");
  const model = $("#model");
  const quality = $("#quality");
  const size = $("#size");
  const count = $("#count");
  const hint = $("#provider-hint");
  const button = $("#generate-button");
  const errorBox = $("#generate-error");
  const controls = {
    provider,
    model,
    quality,
    size,
    format: $("#format"),
    moderation: $("#moderation"),
    count,
  };
  let catalogue = mergeProviders(null);
  let saved = loadSaved();

  function loadSaved() {
    try {
      const value = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
      return value && typeof value === "object" ? value : {};
    } catch {
      return {};
    }
  }

  function save() {
    const value = {};
    for (const name of FIELDS) value[name] = controls[name].value;
    saved = value;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    } catch {
      /* storage may be unavailable (private mode); settings just are not kept */
    }
  }

  function current() {
    return catalogue.find((p) => p.id === provider.value) || catalogue[0];
  }

  function renderProviders() {
    const previous = provider.value || saved.provider;
    const anyAvailable = catalogue.some((p) => p.available !== false);
    clear(provider);
    for (const p of catalogue) {
      const off = p.available === false && anyAvailable;
      provider.append(
        el("option", {
          value: p.id,
          disabled: off,
          title: p.reason || null,
          text: p.available === false ? `${p.label} (unavailable)` : p.label,
        }),
      );
    }
    const usable = (id) => catalogue.some((p) => p.id === id && !(p.available === false && anyAvailable));
    const firstReady = catalogue.find((p) => p.available === true) || catalogue.find((p) => usable(p.id));
    provider.value = usable(previous) ? previous : firstReady ? firstReady.id : catalogue[0].id;
    renderModels();
  }

  function renderModels() {
    const p = current();
    const previous = model.value || saved.model;
    clear(model);
    const models = p.models && p.models.length ? p.models : [""];
    for (const id of models) model.append(el("option", { value: id, text: id || "(provider default)" }));
    if (models.includes(previous)) model.value = previous;
    else if (p.defaultModel && models.includes(p.defaultModel)) model.value = p.defaultModel;
    // Provider-specific controls.
    const fixed = Boolean(p.fixedSize);
    size.disabled = fixed;
    quality.disabled = fixed;
    const notes = [];
    if (fixed) notes.push("This provider always returns one 1024×1024 JPEG; size and quality are ignored.");
    if (p.available === false) notes.push(`${p.label} is not available${p.reason ? `: ${p.reason}` : "."}`);
    hint.textContent = notes.join(" ");
  }

  async function loadProviders() {
    try {
      const data = await api.providers();
      catalogue = mergeProviders(data);
      renderProviders();
    } catch (err) {
      showError(errorBox, err, "Could not load providers (using the built-in list)");
    }
  }

  function restore() {
    for (const name of ["quality", "size", "format", "moderation", "count"]) {
      const value = saved[name];
      if (value == null) continue;
      const control = controls[name];
      if (control.tagName === "SELECT" && ![...control.options].some((o) => o.value === value)) continue;
      control.value = value;
    }
  }

  async function submit(event) {
    event.preventDefault();
    showError(errorBox, null);
    const text = prompt.value.trim();
    if (!text) {
      showError(errorBox, "Enter a prompt first.");
      prompt.focus();
      return;
    }
    let n = Number.parseInt(count.value, 10);
    if (!Number.isFinite(n) || n < 1) n = 1;
    if (n > 8) n = 8;
    count.value = String(n);
    const p = current();
    const requestId = newRequestId();
    const body = {
      prompt: text,
      provider: p.id,
      quality: quality.value,
      size: size.value,
      format: controls.format.value,
      moderation: controls.moderation.value,
      n,
      async: true,
      requestId,
    };
    if (model.value) body.model = model.value;
    save();

    // The card subscribes before the POST so no event can slip past it.
    const card = jobs.create({ requestId, prompt: text, provider: p.id, model: model.value, n });
    button.disabled = true;
    try {
      const res = await api.generate(body);
      if (res && (res.image || (Array.isArray(res.images) && res.images.length))) {
        card.accepted(res.requestId);
        card.finish(res); // a server that answered synchronously
      } else {
        card.accepted(res && res.requestId);
      }
      if (onSubmitted) onSubmitted(card);
    } catch (err) {
      card.fail(err);
      if (err.status === 400 || err.status === 401 || err.status === 429) showError(errorBox, err);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", submit);
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  provider.addEventListener("change", () => {
    renderModels();
    save();
  });
  for (const name of ["model", "quality", "size", "format", "moderation", "count"]) {
    controls[name].addEventListener("change", save);
  }

  restore();
  renderProviders();
  return { loadProviders };
}
