// The generation options shared by Create and Multimode: provider, model, quality, size, format...
import { html } from "../lib.js";
import { t } from "../strings.js";
import { form, SIZE_PRESETS } from "../stores/composer.js";
import { capabilities, features } from "../stores/status.js";
import { ProviderModel, SelectField, CheckField } from "./controls.js";
import { snapSize } from "../sizes.js";

function SizeField({ idPrefix, f }) {
  const provider = form.provider.value;
  const custom = form.size.value === "custom";
  const snap = custom ? snapSize(provider, form.customW.value, form.customH.value) : null;
  const options = [...SIZE_PRESETS.map((s) => ({ value: s, label: s === "auto" ? t("size.auto") : s.replace("x", " × ") })), { value: "custom", label: t("size.custom") }];
  return html`<div class="size-group">
    <${SelectField}
      id=${`${idPrefix}-size`}
      label=${t("field.size")}
      value=${form.size.value}
      options=${options}
      disabled=${!f.size}
      onChange=${(v) => (form.size.value = v)}
      hint=${!f.size ? t("field.fixedByProvider") : null}
    />
    ${custom &&
    f.size &&
    html`<div class="custom-size">
      <div class="field">
        <label for=${`${idPrefix}-w`}>${t("size.width")}</label>
        <input id=${`${idPrefix}-w`} type="number" min="64" max="8192" step="16" value=${form.customW.value} onInput=${(e) => (form.customW.value = Number(e.currentTarget.value))} />
      </div>
      <div class="field">
        <label for=${`${idPrefix}-h`}>${t("size.height")}</label>
        <input id=${`${idPrefix}-h`} type="number" min="64" max="8192" step="16" value=${form.customH.value} onInput=${(e) => (form.customH.value = Number(e.currentTarget.value))} />
      </div>
      <p class="hint" aria-live="polite">${snap.error ? t(snap.error) : t(...snap.note)}</p>
    </div>`}
  </div>`;
}

export function GenerationOptions({ idPrefix, withCount = true }) {
  const caps = capabilities.value;
  if (!caps) return html`<p class="muted">${t("status.loading")}</p>`;
  const provider = form.provider.value;
  const f = features(provider);
  const fixed = t("field.fixedByProvider");
  return html`<div class="options">
    <${ProviderModel} provider=${form.provider} model=${form.model} idPrefix=${idPrefix} />
    <${SelectField}
      id=${`${idPrefix}-quality`}
      label=${t("field.quality")}
      value=${form.quality.value}
      options=${caps.qualities.map((q) => ({ value: q, label: t(`quality.${q}`) }))}
      disabled=${!f.quality}
      hint=${!f.quality ? fixed : null}
      onChange=${(v) => (form.quality.value = v)}
    />
    <${SizeField} idPrefix=${idPrefix} f=${f} />
    <${SelectField}
      id=${`${idPrefix}-format`}
      label=${t("field.format")}
      value=${form.format.value}
      options=${caps.formats.map((x) => ({ value: x, label: x.toUpperCase() }))}
      disabled=${!f.format}
      hint=${!f.format ? fixed : null}
      onChange=${(v) => (form.format.value = v)}
    />
    <${SelectField}
      id=${`${idPrefix}-moderation`}
      label=${t("field.moderation")}
      value=${form.moderation.value}
      options=${caps.moderations.map((x) => ({ value: x, label: t(`moderation.${x}`) }))}
      disabled=${!f.moderation}
      hint=${!f.moderation ? fixed : null}
      onChange=${(v) => (form.moderation.value = v)}
    />
    ${withCount &&
    html`<${SelectField}
      id=${`${idPrefix}-count`}
      label=${t("field.count")}
      value=${String(f.single ? 1 : form.count.value)}
      options=${[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ value: String(n), label: String(n) }))}
      disabled=${!!f.single}
      hint=${f.single ? fixed : null}
      onChange=${(v) => (form.count.value = Number(v))}
    />`}
    ${withCount &&
    html`<${SelectField}
      id=${`${idPrefix}-reasoning`}
      label=${t("field.reasoning")}
      value=${form.reasoning.value}
      options=${caps.reasoningEfforts.map((x) => ({ value: x, label: t(`reasoning.${x}`) }))}
      disabled=${!f.reasoning}
      hint=${!f.reasoning ? fixed : null}
      onChange=${(v) => (form.reasoning.value = v)}
    />`}
    <${CheckField}
      id=${`${idPrefix}-websearch`}
      label=${t("field.webSearch")}
      checked=${f.webSearch === "always" ? true : f.webSearch ? form.webSearch.value : false}
      disabled=${f.webSearch !== true}
      hint=${f.webSearch === "always" ? t("field.webSearchAlways") : f.webSearch ? null : fixed}
      onChange=${(v) => (form.webSearch.value = v)}
    />
    <${CheckField}
      id=${`${idPrefix}-storyboard`}
      label=${t("field.storyboard")}
      checked=${form.storyboard.value}
      onChange=${(v) => (form.storyboard.value = v)}
    />
  </div>`;
}
