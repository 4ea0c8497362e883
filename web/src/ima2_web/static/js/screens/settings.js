// Settings: API keys, Vertex service account, Gemini auth mode, Grok planner, sign-in status,
// quota and billing, Switch Account (device code).
import { html, useState, useEffect, useRef, readText } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import * as s from "../stores/settings.js";
import { loadStatus } from "../stores/status.js";
import { toast } from "../stores/toasts.js";
import { ErrorNote, SelectField } from "../components/controls.js";

const KEY_PROVIDERS = ["openai", "xai", "gemini"];

function KeyRow({ provider, status }) {
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const env = status.source === "env";
  const id = `key-${provider}`;
  const run = async (call, done) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      setValue("");
      toast(done);
      await s.loadKeys();
      loadStatus();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="key-row" data-provider=${provider}>
    <h3 id=${`${id}-title`}>${t(`keys.${provider}`)}</h3>
    <p class="key-state" id=${`${id}-state`}>
      ${status.configured
        ? html`<span class="badge ok">${t("keys.configured")}</span> <code>${status.maskedKey}</code> ${t(`keys.from.${status.source}`, {}, status.source)}`
        : html`<span class="badge">${t("keys.notSet")}</span>`}
    </p>
    ${env
      ? html`<p class="hint">${t("keys.envFixed")}</p>`
      : html`<form
          class="row wrap"
          onSubmit=${(e) => {
            e.preventDefault();
            if (value.trim()) run(() => api.saveKey(provider, value.trim()), t("keys.saved"));
          }}
        >
          <div class="field grow">
            <label for=${id}>${status.source === "config" ? t("keys.replace", { name: t(`keys.${provider}`) }) : t("keys.add", { name: t(`keys.${provider}`) })}</label>
            <input id=${id} type="password" autocomplete="off" spellcheck="false" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
          </div>
          <button type="submit" disabled=${busy || !value.trim()}>${t("action.save")}</button>
          ${status.source === "config" &&
          html`<button type="button" disabled=${busy} aria-label=${t("keys.remove", { name: t(`keys.${provider}`) })} onClick=${() => run(() => api.removeKey(provider), t("keys.removed"))}>
            ${t("action.remove")}
          </button>`}
        </form>`}
    <${ErrorNote} error=${error} />
  </div>`;
}

function VertexRow({ status, mode }) {
  const input = useRef(null);
  const [error, setError] = useState(null);
  const env = status.source === "env";
  const upload = async (file) => {
    setError(null);
    try {
      await api.saveVertex(await readText(file));
      toast(t("keys.saved"));
      s.loadKeys();
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="key-row" data-provider="vertex">
    <h3>${t("keys.vertex")}</h3>
    <p class="key-state">
      ${status.configured ? html`<span class="badge ok">${t("keys.configured")}</span> <code>${status.maskedKey}</code>` : html`<span class="badge">${t("keys.notSet")}</span>`}
    </p>
    ${env
      ? html`<p class="hint">${t("keys.envFixed")}</p>`
      : html`<div class="row wrap">
          <button type="button" onClick=${() => input.current.click()}>${t("keys.vertexUpload")}</button>
          <input ref=${input} type="file" accept="application/json,.json" hidden aria-label=${t("keys.vertexUpload")} onChange=${(e) => {
            const file = e.currentTarget.files[0];
            e.currentTarget.value = "";
            if (file) upload(file);
          }} />
          ${status.source === "config" &&
          html`<button type="button" aria-label=${t("keys.remove", { name: t("keys.vertex") })} onClick=${() => api.removeVertex().then(s.loadKeys, setError)}>${t("action.remove")}</button>`}
        </div>`}
    <${SelectField}
      id="gemini-auth-mode"
      label=${t("keys.geminiMode")}
      value=${mode}
      options=${[
        { value: "apikey", label: t("keys.mode.apikey") },
        { value: "vertex", label: t("keys.mode.vertex") },
      ]}
      onChange=${(v) => api.setGeminiAuthMode(v).then(() => (toast(t("keys.modeSaved")), s.loadKeys()), setError)}
    />
    <${ErrorNote} error=${error} />
  </div>`;
}

function Planner() {
  const p = s.planner.value;
  if (!p) return null;
  return html`<${SelectField}
    id="grok-planner"
    label=${t("settings.planner")}
    value=${p.model}
    options=${p.options.map((m) => ({ value: m, label: m }))}
    hint=${t("settings.plannerHint")}
    onChange=${(v) =>
      api.setGrokPlanner(v).then(
        (r) => {
          s.planner.value = { ...p, model: r.model };
          toast(t("settings.plannerSaved", { model: r.model }));
        },
        (err) => toast(err.message, { kind: "error" }),
      )}
  />`;
}

function SwitchAccount({ provider }) {
  const [flow, setFlow] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!flow || flow.status !== "pending") return undefined;
    const timer = setInterval(async () => {
      try {
        const reply = await api.switchStatus(flow.sessionId);
        if (reply.status !== "pending") {
          setFlow({ ...flow, status: reply.status, email: reply.email, error: reply.error });
          if (reply.status === "complete") {
            s.loadAll();
            loadStatus();
          }
        }
      } catch (err) {
        setError(err);
      }
    }, 1500);
    return () => clearInterval(timer);
  }, [flow?.sessionId, flow?.status]);
  const start = async () => {
    setError(null);
    try {
      const reply = await api.startSwitch(provider);
      setFlow({ ...reply, status: "pending" });
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="switch">
    <button type="button" onClick=${start} disabled=${flow?.status === "pending"}>${t("switch.start", { name: t(`switch.${provider}`) })}</button>
    ${flow &&
    html`<div class="device-code" role="status" aria-live="polite">
      <p>${t("switch.instructions")}</p>
      <p><a href=${flow.verificationUrl} target="_blank" rel="noopener noreferrer">${flow.verificationUrl}</a></p>
      <p>${t("switch.code")} <code class="user-code">${flow.userCode}</code></p>
      <p class=${`switch-status ${flow.status}`}>${t(`switch.status.${flow.status}`, { email: flow.email ? ` as ${flow.email}` : "" })}${flow.error ? ` — ${flow.error}` : ""}</p>
    </div>`}
    <${ErrorNote} error=${error} />
  </div>`;
}

function QuotaCard({ name, result, provider }) {
  return html`<div class="quota-card">
    <h3>${t(`switch.${provider}`)}</h3>
    ${!result
      ? html`<p class="muted">${t("status.loading")}</p>`
      : html`
          ${result.account?.email && html`<p>${result.account.email}${result.account.plan ? ` · ${result.account.plan}` : ""}</p>`}
          ${result.authenticated === false && html`<p class="muted">${t("quota.signedOut")}</p>`}
          ${result.error &&
          result.authenticated !== false &&
          html`<p class="muted">${typeof result.error === "string" ? t(`quota.error.${result.error}`, {}, result.error) : result.error.message || ""}</p>`}
          ${(result.windows || []).map(
            (w) => html`<div class="quota-window">
              <label>${w.label}<progress max="100" value=${w.percent ?? 0} aria-label=${t("quota.used", { label: w.label })}></progress></label>
              <span>${Math.round(w.percent ?? 0)}%</span>
            </div>`,
          )}
          ${result.billing && html`<p>${t("quota.billing", { used: result.billing.usedUsd ?? 0, limit: result.billing.limitUsd ?? "—" })}</p>`}
        `}
    <${SwitchAccount} provider=${provider} />
  </div>`;
}

function statusText(state) {
  if (!state) return t("status.loading");
  if (state.installed !== undefined) return state.installed ? t("account.installed") : t("account.notInstalled");
  return t(`account.${state.status}`, {}, state.status) + (state.reason ? ` (${t(`reason.${state.reason}`, {}, state.reason)})` : "");
}

export function SettingsScreen() {
  useEffect(() => s.loadAll(), []);
  const keys = s.keys.value;
  const acc = s.accounts.value;
  const q = s.quota.value;
  const b = s.billing.value;
  return html`<div class="screen settings">
    <h1>${t("settings.title")}</h1>
    <section aria-labelledby="keys-title" class="card">
      <h2 id="keys-title">${t("settings.keys")}</h2>
      <p class="hint">${t("settings.keysHint")}</p>
      ${keys?.configCorrupt && html`<p class="error-note" role="alert">${t("keys.corrupt")}</p>`}
      <${ErrorNote} error=${s.loadErrors.value.keys} />
      ${keys && KEY_PROVIDERS.map((p) => html`<${KeyRow} key=${p} provider=${p} status=${keys[p]} />`)}
      ${keys && html`<${VertexRow} status=${keys.vertex} mode=${keys.geminiAuthMode} />`}
    </section>
    <section aria-labelledby="accounts-title" class="card">
      <h2 id="accounts-title">${t("settings.accounts")}</h2>
      <dl class="status-list">
        <dt>${t("account.oauth")}</dt><dd data-status=${acc.oauth?.status}>${statusText(acc.oauth)}</dd>
        <dt>${t("account.grok")}</dt><dd data-status=${acc.grok?.status}>${statusText(acc.grok)}</dd>
        <dt>${t("account.agy")}</dt><dd>${statusText(acc.agy)}</dd>
      </dl>
      <${Planner} />
    </section>
    <section aria-labelledby="quota-title" class="card">
      <h2 id="quota-title">${t("settings.quota")}</h2>
      <div class="quota-grid">
        <${QuotaCard} provider="codex" result=${q?.codex} />
        <${QuotaCard} provider="grok" result=${q?.grok} />
      </div>
      ${b &&
      html`<p>${t("billing.summary", { source: t(`keys.source.${b.apiKeySource}`, {}, b.apiKeySource), valid: b.apiKeyValid ? t("billing.valid") : t("billing.invalid") })}</p>`}
    </section>
  </div>`;
}
