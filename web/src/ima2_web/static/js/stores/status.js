// Server status: health, providers and capabilities, and what each provider can do.
import { api } from "../api.js";
import { signal, computed } from "../lib.js";

export const health = signal(null);
export const healthError = signal(null);
export const providersInfo = signal(null);
export const capabilities = signal(null);

// What the UI offers per provider (spec "Provider Policy"); the server still validates.
export const PROVIDER_FEATURES = {
  oauth: { quality: true, size: true, format: true, moderation: true, reasoning: true, webSearch: true, mask: true, maxRefs: 5 },
  api: { quality: true, size: true, format: true, moderation: true, reasoning: true, webSearch: true, mask: true, maxRefs: 5 },
  grok: { quality: true, size: true, format: false, moderation: false, reasoning: false, webSearch: "always", mask: false, maxRefs: 3 },
  "grok-api": { quality: true, size: true, format: false, moderation: false, reasoning: false, webSearch: "always", mask: false, maxRefs: 3 },
  "gemini-api": { quality: false, size: true, format: false, moderation: false, reasoning: false, webSearch: false, mask: false, maxRefs: 5 },
  agy: { quality: false, size: false, format: false, moderation: false, reasoning: false, webSearch: false, mask: false, maxRefs: 3, single: true },
};

export const features = (provider) => PROVIDER_FEATURES[provider] || PROVIDER_FEATURES.oauth;

/** [{id, available, reason, models, defaultModel}] in the server's order. */
export const providerList = computed(() => {
  const caps = capabilities.value;
  if (!caps) return [];
  const states = providersInfo.value?.providers || {};
  return caps.providers.map((id) => {
    const state = states[id] || {};
    const models = caps.models[id] || [];
    const fallback = caps.defaultModels?.[id];
    return {
      id,
      available: state.available === true,
      status: state.status || "unknown",
      reason: state.reason || state.status || "",
      models,
      defaultModel: models.includes(fallback) ? fallback : models[0],
    };
  });
});

export const sandbox = computed(() => !!(health.value?.sandbox ?? providersInfo.value?.sandbox));

export async function loadStatus() {
  const [h, p, c] = await Promise.allSettled([api.health(), api.providers(), api.capabilities()]);
  if (h.status === "fulfilled") {
    health.value = h.value;
    healthError.value = null;
  } else healthError.value = h.reason;
  if (p.status === "fulfilled") providersInfo.value = p.value;
  if (c.status === "fulfilled") capabilities.value = c.value;
}

export function startStatusPolling() {
  loadStatus();
  setInterval(() => {
    if (document.visibilityState === "visible") loadStatus();
  }, 30_000);
}
