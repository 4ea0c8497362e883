// Create: the prompt composer, references, options; this tab's jobs and results beside it.
import { html, useRef, useEffect, isPhone } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import { form, refs, generationBody } from "../stores/composer.js";
import { features } from "../stores/status.js";
import { jobs, startJob, lastFinished, clearFinished } from "../stores/jobs.js";
import { toast } from "../stores/toasts.js";
import { References, addReferenceFiles } from "../components/refs.js";
import { GenerationOptions } from "../components/options.js";
import { JobCard } from "../components/jobcard.js";
import { SavePrompt } from "./prompts.js";

export async function generate(resultsEl) {
  const body = generationBody();
  if (!body.prompt) {
    toast(t("create.promptRequired"), { kind: "error" });
    return;
  }
  body.references = refs.value.map((r) => r.dataUrl);
  const n = features(body.provider).single ? 1 : form.count.value;
  if (n > 1) body.n = n;
  if (isPhone() && resultsEl) resultsEl.scrollIntoView({ behavior: "smooth", block: "start" });
  await startJob("classic", api.generate, body);
}

export function Composer({ onSubmit, idPrefix = "create", label, hint }) {
  const area = useRef(null);
  return html`<div class="field prompt-field">
    <label for=${`${idPrefix}-prompt`}>${label || t("field.prompt")}</label>
    <textarea
      id=${`${idPrefix}-prompt`}
      ref=${area}
      rows="5"
      value=${form.prompt.value}
      placeholder=${t("create.placeholder")}
      aria-describedby=${`${idPrefix}-prompt-hint`}
      onInput=${(e) => (form.prompt.value = e.currentTarget.value)}
      onKeyDown=${(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          onSubmit();
        }
      }}
      onPaste=${(e) => {
        if (hint) return;
        const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
        if (files.length) {
          e.preventDefault();
          addReferenceFiles(files);
        }
      }}
    ></textarea>
    <p class="hint" id=${`${idPrefix}-prompt-hint`}>${hint || t("create.shortcut")}</p>
  </div>`;
}

export function CreateScreen() {
  const results = useRef(null);
  const mine = jobs.value.filter((j) => j.mine && j.kind === "classic");
  useEffect(() => {
    const el = results.current?.querySelector(`[data-request-id="${lastFinished.value}"]`);
    if (el) el.scrollIntoView({ block: "nearest" });
  }, [lastFinished.value]);
  const submit = () => generate(results.current);
  return html`<div class="screen create">
    <section class="composer" aria-labelledby="create-title">
      <h1 id="create-title">${t("create.title")}</h1>
      <form
        onSubmit=${(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <${Composer} onSubmit=${submit} />
        <div class="row">
          <button type="submit" class="primary">${t("create.generate")}</button>
          <${SavePrompt} />
        </div>
        <${References} />
        <details class="options-box" open=${!isPhone()}>
          <summary>${t("create.options")}</summary>
          <${GenerationOptions} idPrefix="create" />
        </details>
      </form>
    </section>
    <section class="results" ref=${results} aria-labelledby="results-title" tabindex="-1">
      <div class="row spread">
        <h2 id="results-title">${t("create.results")}</h2>
        ${mine.some((j) => j.state !== "running") &&
        html`<button type="button" class="quiet" onClick=${() => clearFinished("classic")}>${t("create.clear")}</button>`}
      </div>
      ${mine.length === 0 && html`<p class="muted">${t("create.empty")}</p>`}
      ${mine.map((job) => html`<${JobCard} key=${job.requestId} job=${job} />`)}
    </section>
  </div>`;
}
