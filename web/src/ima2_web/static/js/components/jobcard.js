// One job of this tab: its progress, partial preview, result images and their actions.
import { html, useState, useEffect, formatDuration } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import { cancelJob, forget } from "../stores/jobs.js";
import { toast } from "../stores/toasts.js";
import { addReferenceFiles } from "./refs.js";
import { urlToFile } from "../images.js";
import { editSource } from "../stores/edit.js";
import { go } from "../stores/router.js";
import { ErrorNote } from "./controls.js";

function ResultActions({ job, image, n }) {
  const [favorite, setFavorite] = useState(false);
  const name = image.filename || `ima2-${n}.png`;
  return html`<div class="result-actions" role="group" aria-label=${t("result.actions", { n })}>
    <button type="button" onClick=${() => navigator.clipboard.writeText(job.prompt).then(() => toast(t("result.copied")), () => toast(t("result.copyFailed"), { kind: "error" }))}>
      ${t("result.copyPrompt")}
    </button>
    <a class="button" href=${image.url} download=${name}>${t("result.download")}</a>
    <button
      type="button"
      aria-pressed=${favorite ? "true" : "false"}
      disabled=${!image.filename}
      onClick=${async () => {
        try {
          setFavorite((await api.favorite(image.filename)).isFavorite);
        } catch (err) {
          toast(err.message, { kind: "error" });
        }
      }}
    >
      ${favorite ? t("result.unfavorite") : t("result.favorite")}
    </button>
    <button
      type="button"
      onClick=${async () => {
        try {
          await addReferenceFiles([await urlToFile(image.url, name)]);
          toast(t("result.addedRef"));
          go("create");
        } catch (err) {
          toast(err.message, { kind: "error" });
        }
      }}
    >
      ${t("result.useAsRef")}
    </button>
    <button
      type="button"
      onClick=${() => {
        editSource.value = { url: image.url, filename: image.filename, name };
        go("edit");
      }}
    >
      ${t("result.edit")}
    </button>
  </div>`;
}

export function JobCard({ job, headingLevel = 3 }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (job.state !== "running") return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [job.state]);
  const elapsed = (job.finishedAt || now) - job.startedAt;
  const Heading = `h${headingLevel}`;
  return html`<article class="job-card" data-state=${job.state} data-request-id=${job.requestId} aria-label=${t("job.label", { prompt: job.prompt.slice(0, 60) })}>
    <header>
      <${Heading} class="job-prompt">${job.prompt}</${Heading}>
      <p class="job-meta">
        <span class=${`state ${job.state}`}>${t(`state.${job.state}`)}</span>
        ${job.state === "running" && html` · ${t(`phase.${job.phase}`, {}, job.phase)}`} · ${formatDuration(elapsed)}
        ${job.model && html` · ${job.model}`}
        ${job.status === "partial" && html` · ${t("job.partialSequence", { got: job.images.length, want: job.maxImages })}`}
      </p>
      ${job.state === "running"
        ? html`<button type="button" onClick=${() => cancelJob(job.requestId).catch((err) => toast(err.message, { kind: "error" }))}>${t("action.cancel")}</button>`
        : html`<button type="button" class="quiet" aria-label=${t("job.dismiss")} onClick=${() => forget(job.requestId)}>${t("action.dismiss")}</button>`}
    </header>
    ${job.state === "running" && html`<progress aria-label=${t("job.progress")}></progress>`}
    ${job.partial && html`<img class="partial" src=${job.partial} alt=${t("job.partialPreview")} />`}
    <${ErrorNote} error=${job.state === "error" ? job.error : null} />
    ${job.state === "ended" && html`<p class="muted">${t("job.ended")}</p>`}
    ${job.images.map(
      (image, i) => html`<figure class="result" key=${image.url}>
        <img src=${image.url} alt=${t("result.alt", { n: i + 1, prompt: job.prompt.slice(0, 80) })} />
        <figcaption>
          ${image.revisedPrompt && html`<details><summary>${t("result.revised")}</summary><p>${image.revisedPrompt}</p></details>`}
          <${ResultActions} job=${job} image=${image} n=${i + 1} />
        </figcaption>
      </figure>`,
    )}
  </article>`;
}
