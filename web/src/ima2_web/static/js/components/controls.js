// Small shared controls: labelled fields, the provider/model picker, error notes.
import { html } from "../lib.js";
import { t, providerLabel, guidance } from "../strings.js";
import { providerList } from "../stores/status.js";

let uid = 0;
export const fieldId = (name) => `f-${name}-${++uid}`;

export function SelectField({ id, label, value, onChange, options, disabled, hint }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} value=${value} disabled=${disabled} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map((o) =>
        typeof o === "string"
          ? html`<option value=${o}>${o}</option>`
          : html`<option value=${o.value} disabled=${o.disabled}>${o.label}</option>`,
      )}
    </select>
    ${hint && html`<p class="hint">${hint}</p>`}
  </div>`;
}

export function CheckField({ id, label, checked, onChange, disabled, hint }) {
  return html`<div class="field check">
    <input type="checkbox" id=${id} checked=${checked} disabled=${disabled} onChange=${(e) => onChange(e.currentTarget.checked)} />
    <label for=${id}>${label}</label>
    ${hint && html`<p class="hint">${hint}</p>`}
  </div>`;
}

/** Provider and model selects; unavailable providers are listed, disabled, with the reason. */
export function ProviderModel({ provider, model, idPrefix, refuse }) {
  const list = providerList.value;
  const current = list.find((p) => p.id === provider.value);
  const options = list.map((p) => {
    const refused = refuse && refuse(p.id);
    const why = refused || (!p.available && t("provider.unavailable", { reason: t(`reason.${p.reason}`, {}, p.reason) }));
    return { value: p.id, label: why ? `${providerLabel(p.id)} — ${why}` : providerLabel(p.id), disabled: !!refused };
  });
  return html`
    <${SelectField}
      id=${`${idPrefix}-provider`}
      label=${t("field.provider")}
      value=${provider.value}
      options=${options}
      onChange=${(v) => {
        provider.value = v;
        const p = list.find((x) => x.id === v);
        if (p && !p.models.includes(model.value)) model.value = p.defaultModel;
      }}
      hint=${current && !current.available ? t("provider.unavailableHint") : null}
    />
    <${SelectField}
      id=${`${idPrefix}-model`}
      label=${t("field.model")}
      value=${model.value}
      options=${(current?.models || []).map((m) => ({ value: m, label: m }))}
      onChange=${(v) => (model.value = v)}
    />`;
}

/** An error by code with its guidance; never raw JSON. */
export function ErrorNote({ error }) {
  if (!error) return null;
  const help = guidance(error.code);
  return html`<div class="error-note" role="alert">
    <strong>${error.message || t("error.generic")}</strong>
    ${error.code && html` <code>${error.code}</code>`}
    ${help && html`<p>${help}</p>`}
  </div>`;
}
