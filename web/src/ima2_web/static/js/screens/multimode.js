// Multimode: one prompt, 1–8 images of a sequence filling their slots live.
import { html, signal } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import { refs, generationBody } from "../stores/composer.js";
import { jobs, startJob, cancelJob } from "../stores/jobs.js";
import { toast } from "../stores/toasts.js";
import { GenerationOptions } from "../components/options.js";
import { SelectField, ErrorNote } from "../components/controls.js";
import { Composer } from "./create.js";
import { References } from "../components/refs.js";

const slots = signal(4);

async function run() {
  const body = generationBody();
  if (!body.prompt) {
    toast(t("create.promptRequired"), { kind: "error" });
    return;
  }
  body.maxImages = slots.value;
  body.references = refs.value.map((r) => r.dataUrl);
  await startJob("multimode", api.multimode, body);
}

function Sequence({ job }) {
  const total = job.maxImages || slots.value;
  const byIndex = new Map(job.images.map((img, i) => [img.index ?? i, img]));
  return html`<article class="sequence" data-state=${job.state} data-request-id=${job.requestId} aria-label=${t("job.label", { prompt: job.prompt.slice(0, 60) })}>
    <header class="row spread">
      <h3>${job.prompt}</h3>
      <span class=${`state ${job.state}`}>${t(`state.${job.state}`)}</span>
      ${job.state === "running" && html`<button type="button" onClick=${() => cancelJob(job.requestId).catch((e) => toast(e.message, { kind: "error" }))}>${t("action.cancel")}</button>`}
    </header>
    ${job.status === "partial" && html`<p class="notice" role="status">${t("job.partialSequence", { got: job.images.length, want: total })}</p>`}
    ${job.status === "empty" && html`<p class="notice" role="status">${t("multimode.empty")}</p>`}
    <${ErrorNote} error=${job.state === "error" ? job.error : null} />
    <ol class="slots">
      ${Array.from({ length: total }, (_, i) => {
        const img = byIndex.get(i) || job.images[i];
        return html`<li class=${img ? "filled" : "empty"} key=${i}>
          ${img
            ? html`<a href=${img.url} target="_blank" rel="noopener"><img src=${img.url} alt=${t("multimode.slot", { n: i + 1 })} /></a>`
            : html`<span class="muted">${job.state === "running" ? t("multimode.waiting", { n: i + 1 }) : t("multimode.none", { n: i + 1 })}</span>`}
        </li>`;
      })}
    </ol>
  </article>`;
}

export function MultimodeScreen() {
  const mine = jobs.value.filter((j) => j.mine && j.kind === "multimode");
  return html`<div class="screen multimode">
    <section class="composer" aria-labelledby="mm-title">
      <h1 id="mm-title">${t("multimode.title")}</h1>
      <p class="hint">${t("multimode.hint")}</p>
      <form
        onSubmit=${(e) => {
          e.preventDefault();
          run();
        }}
      >
        <${Composer} onSubmit=${run} idPrefix="mm" />
        <${SelectField}
          id="mm-slots"
          label=${t("multimode.count")}
          value=${String(slots.value)}
          options=${[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ value: String(n), label: String(n) }))}
          onChange=${(v) => (slots.value = Number(v))}
        />
        <button type="submit" class="primary">${t("multimode.run")}</button>
        <${References} />
        <details class="options-box">
          <summary>${t("create.options")}</summary>
          <${GenerationOptions} idPrefix="mm" withCount=${false} />
        </details>
      </form>
    </section>
    <section class="results" aria-labelledby="mm-results">
      <h2 id="mm-results">${t("multimode.results")}</h2>
      ${mine.length === 0 && html`<p class="muted">${t("multimode.emptyList")}</p>`}
      ${mine.map((job) => html`<${Sequence} key=${job.requestId} job=${job} />`)}
    </section>
  </div>`;
}
