// Video: text-, image- and reference-to-video chosen by how many images are given, options held
// to what the chosen model allows (with the reason shown), live planning / submitted / progress /
// done from /api/events, and per video: player, continue (lineage shown), edit, extend, a frame
// into the composer's references, analyze.
import { html, useState, useEffect, signal, readDataUrl, formatDuration } from "../lib.js";
import { t, providerLabel } from "../strings.js";
import { api } from "../api.js";
import { jobs, startJob, forget } from "../stores/jobs.js";
import { providerList } from "../stores/status.js";
import { toast } from "../stores/toasts.js";
import { addReferenceFiles } from "../components/refs.js";
import { go } from "../stores/router.js";
import { ErrorNote } from "../components/controls.js";

const VIDEO_PROVIDERS = ["grok", "grok-api"];
const MODELS = ["grok-imagine-video", "grok-imagine-video-1.5-preview"];
const EDIT_MODEL = "grok-imagine-video";
const RESOLUTIONS = ["480p", "720p"];
const ASPECTS = ["auto", "16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3"];
const MAX_IMAGES = 7;
const MAX_DURATION = 15;
const R2V_MAX_DURATION = 10;
const KEY = "ima2.video.v1";

const saved = (() => {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}");
  } catch {
    return {};
  }
})();
const vform = {
  prompt: signal(""),
  provider: signal(saved.provider || "grok"),
  model: signal(MODELS.includes(saved.model) ? saved.model : MODELS[0]),
  duration: signal(saved.duration || 5),
  resolution: signal(saved.resolution || "480p"),
  aspect: signal(saved.aspect || "auto"),
  planner: signal(saved.planner || ""),
};
const images = signal([]); // [{name, dataUrl}]
const continueFrom = signal(null); // {filename, prompt, continuity}
const extras = signal([]); // edit / extend results: [{id, kind, state, video, error, prompt}]

function persist() {
  localStorage.setItem(
    KEY,
    JSON.stringify({ provider: vform.provider.value, model: vform.model.value, duration: vform.duration.value, resolution: vform.resolution.value, aspect: vform.aspect.value, planner: vform.planner.value }),
  );
}

export function videoMode(count, continuing) {
  if (count >= 2) return "reference-to-video";
  if (count === 1 || continuing) return "image-to-video";
  return "text-to-video";
}

/** What is wrong with the current inputs, each with its reason (nothing is clamped silently). */
function problems() {
  const out = [];
  const count = images.value.length;
  const mode = videoMode(count, !!continueFrom.value);
  const max = mode === "reference-to-video" ? R2V_MAX_DURATION : MAX_DURATION;
  const d = Number(vform.duration.value);
  if (!Number.isInteger(d) || d < 1 || d > max) out.push(t(mode === "reference-to-video" ? "video.durationR2V" : "video.durationRange", { max }));
  if (count > MAX_IMAGES) out.push(t("video.tooManyImages", { max: MAX_IMAGES }));
  const provider = providerList.value.find((p) => p.id === vform.provider.value);
  if (provider && !provider.available) out.push(t("video.providerUnavailable", { name: providerLabel(provider.id) }));
  return out;
}

async function addImages(files) {
  const list = [...images.value];
  for (const file of files) {
    if (list.length >= MAX_IMAGES) {
      toast(t("video.tooManyImages", { max: MAX_IMAGES }), { kind: "error" });
      break;
    }
    list.push({ name: file.name || "image.png", dataUrl: await readDataUrl(file) });
  }
  images.value = list;
}

async function generate() {
  const prompt = vform.prompt.value.trim();
  if (!prompt) return toast(t("create.promptRequired"), { kind: "error" });
  if (problems().length) return;
  const body = {
    prompt,
    provider: vform.provider.value,
    model: vform.model.value,
    duration: Number(vform.duration.value),
    resolution: vform.resolution.value,
    aspectRatio: vform.aspect.value,
  };
  if (vform.planner.value) body.plannerModel = vform.planner.value;
  const list = images.value;
  if (list.length === 1) body.sourceImage = list[0].dataUrl;
  else if (list.length > 1) body.referenceImages = list.map((i) => i.dataUrl);
  if (continueFrom.value) body.continueFromVideo = continueFrom.value.filename;
  await startJob("video", api.videoGenerate, body, { prompt });
  continueFrom.value = null;
}

function Options() {
  const [planners, setPlanners] = useState([]);
  useEffect(() => {
    api.grokPlanner().then(
      (r) => setPlanners(r.options || []),
      () => setPlanners([]),
    );
  }, []);
  const count = images.value.length;
  const mode = videoMode(count, !!continueFrom.value);
  const max = mode === "reference-to-video" ? R2V_MAX_DURATION : MAX_DURATION;
  const providers = providerList.value;
  return html`<div class="options">
    <div class="field">
      <label for="video-provider">${t("field.provider")}</label>
      <select id="video-provider" value=${vform.provider.value} onChange=${(e) => (vform.provider.value = e.currentTarget.value)}>
        ${providers.map((p) => {
          const ok = VIDEO_PROVIDERS.includes(p.id);
          return html`<option value=${p.id} disabled=${!ok}>${providerLabel(p.id)}${ok ? "" : ` — ${t("video.noVideo")}`}</option>`;
        })}
      </select>
      <p class="hint">${t("video.providerHint")}</p>
    </div>
    <div class="field">
      <label for="video-model">${t("field.model")}</label>
      <select id="video-model" value=${vform.model.value} onChange=${(e) => (vform.model.value = e.currentTarget.value)}>
        ${MODELS.map((m) => html`<option value=${m}>${m}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="video-duration">${t("video.duration", { max })}</label>
      <input id="video-duration" type="number" min="1" max=${max} step="1" value=${vform.duration.value} aria-describedby="video-duration-hint"
        onInput=${(e) => (vform.duration.value = e.currentTarget.value === "" ? "" : Number(e.currentTarget.value))} />
      <p class="hint" id="video-duration-hint">${mode === "reference-to-video" ? t("video.r2vHint", { max: R2V_MAX_DURATION }) : t("video.durationHint", { max: MAX_DURATION })}</p>
    </div>
    <div class="field">
      <label for="video-resolution">${t("video.resolution")}</label>
      <select id="video-resolution" value=${vform.resolution.value} onChange=${(e) => (vform.resolution.value = e.currentTarget.value)}>
        ${RESOLUTIONS.map((r) => html`<option value=${r}>${r}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="video-aspect">${t("video.aspect")}</label>
      <select id="video-aspect" value=${vform.aspect.value} onChange=${(e) => (vform.aspect.value = e.currentTarget.value)}>
        ${ASPECTS.map((a) => html`<option value=${a}>${a === "auto" ? t("video.aspectAuto") : a}</option>`)}
      </select>
      ${count > 0 && vform.aspect.value === "auto" && html`<p class="hint">${t("video.aspectFromImage")}</p>`}
    </div>
    <div class="field">
      <label for="video-planner">${t("video.planner")}</label>
      <select id="video-planner" value=${vform.planner.value} onChange=${(e) => (vform.planner.value = e.currentTarget.value)}>
        <option value="">${t("video.plannerDefault")}</option>
        ${planners.map((m) => html`<option value=${m}>${m}</option>`)}
      </select>
    </div>
  </div>`;
}

function Inputs() {
  const list = images.value;
  const mode = videoMode(list.length, !!continueFrom.value);
  return html`<div>
    <p class="video-mode" role="status"><strong>${t(`video.mode.${mode}`)}</strong> — ${t("video.modeHint")}</p>
    <div class="field">
      <label for="video-images">${t("video.images", { n: list.length, max: MAX_IMAGES })}</label>
      <input id="video-images" type="file" accept="image/png,image/jpeg,image/webp" multiple onChange=${(e) => {
        addImages([...e.currentTarget.files]);
        e.currentTarget.value = "";
      }} />
    </div>
    ${list.length > 0 &&
    html`<ul class="video-images">
      ${list.map(
        (img, i) => html`<li key=${i}>
          <img src=${img.dataUrl} alt=${t("video.imageN", { n: i + 1, name: img.name })} />
          <button type="button" class="quiet" aria-label=${t("video.removeImage", { n: i + 1 })} onClick=${() => (images.value = list.filter((_, j) => j !== i))}>×</button>
        </li>`,
      )}
    </ul>`}
    ${continueFrom.value &&
    html`<div class="continue-note" role="status">
      <p>${t("video.continuing", { prompt: continueFrom.value.prompt || continueFrom.value.filename })}</p>
      <${Lineage} continuity=${continueFrom.value.continuity} current=${continueFrom.value.filename} />
      <button type="button" class="quiet" onClick=${() => (continueFrom.value = null)}>${t("video.stopContinuing")}</button>
    </div>`}
  </div>`;
}

function Lineage({ continuity, current }) {
  const entries = continuity?.entries || [];
  if (!entries.length && !current) return null;
  const list = entries.length ? entries : [{ filename: current, role: "start", ordinal: 1 }];
  return html`<ol class="lineage" aria-label=${t("video.lineage")}>
    ${list.map((e) => html`<li key=${e.filename}><span class="badge">${t(`video.role.${e.role}`, {}, e.role)}</span> ${e.userPrompt || e.filename}</li>`)}
  </ol>`;
}

function VideoActions({ video, prompt }) {
  const [busy, setBusy] = useState(null);
  const [analysis, setAnalysis] = useState(null);
  const [text, setText] = useState("");
  const [extendBy, setExtendBy] = useState(5);
  const [error, setError] = useState(null);
  const player = () => document.querySelector(`video[data-file="${video.filename}"]`);
  const blocking = async (kind, route, body) => {
    setBusy(kind);
    setError(null);
    const id = `${kind}-${Date.now()}`;
    extras.value = [{ id, kind, state: "running", prompt: body.prompt, video: null }, ...extras.value];
    try {
      const r = await route(body);
      const item = r.item || r;
      extras.value = extras.value.map((x) =>
        x.id === id ? { ...x, state: "done", video: { filename: item.filename, url: item.url || `/generated/${item.filename}`, videoContinuity: item.videoContinuity || null } } : x,
      );
    } catch (err) {
      extras.value = extras.value.map((x) => (x.id === id ? { ...x, state: "error", error: { code: err.code, message: err.message } } : x));
    } finally {
      setBusy(null);
    }
  };
  return html`<div class="video-actions">
    <div class="row wrap">
      <button type="button" onClick=${() => {
        continueFrom.value = { filename: video.filename, prompt, continuity: video.videoContinuity };
        images.value = [];
        document.getElementById("video-prompt")?.focus();
      }}>${t("video.continue")}</button>
      <button type="button" onClick=${async () => {
        const el = player();
        const position = el ? Math.max(0, el.currentTime).toFixed(2) : "last";
        try {
          const res = await fetch(api.videoFrameUrl(video.filename, position), { credentials: "same-origin" });
          if (!res.ok) throw new Error(t("video.frameFailed"));
          const blob = await res.blob();
          await addReferenceFiles([new File([blob], `${video.filename.replace(/\.mp4$/, "")}-frame.png`, { type: "image/png" })]);
          toast(t("video.frameAdded"), { action: { label: t("nav.create"), run: () => go("create") } });
        } catch (err) {
          toast(err.message, { kind: "error" });
        }
      }}>${t("video.takeFrame")}</button>
      <button type="button" disabled=${busy === "analyze"} onClick=${async () => {
        setBusy("analyze");
        setError(null);
        try {
          setAnalysis((await api.videoAnalyze(video.filename)).analysis);
        } catch (err) {
          setError({ code: err.code, message: err.message });
        } finally {
          setBusy(null);
        }
      }}>${busy === "analyze" ? t("video.analyzing") : t("video.analyze")}</button>
    </div>
    <form class="row wrap" onSubmit=${(e) => {
      e.preventDefault();
      const action = e.submitter?.value;
      if (!text.trim()) return;
      if (action === "extend") blocking("extend", api.videoExtend, { prompt: text.trim(), videoUrl: video.filename, duration: Number(extendBy), model: EDIT_MODEL });
      else blocking("edit", api.videoEdit, { prompt: text.trim(), videoUrl: video.filename, model: EDIT_MODEL });
    }}>
      <div class="field grow">
        <label for=${`vedit-${video.filename}`}>${t("video.changeLabel")}</label>
        <input id=${`vedit-${video.filename}`} value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
        <p class="hint">${t("video.editHint", { model: EDIT_MODEL })}</p>
      </div>
      <div class="field">
        <label for=${`vext-${video.filename}`}>${t("video.extendBy")}</label>
        <input id=${`vext-${video.filename}`} type="number" min="2" max="10" value=${extendBy} onInput=${(e) => setExtendBy(e.currentTarget.value)} />
      </div>
      <button type="submit" value="edit" disabled=${!!busy || !text.trim()}>${t("video.edit")}</button>
      <button type="submit" value="extend" disabled=${!!busy || !text.trim() || extendBy < 2 || extendBy > 10}>${t("video.extend")}</button>
    </form>
    ${analysis && html`<div class="analysis"><h4>${t("video.analysis")}</h4><p>${analysis}</p></div>`}
    <${ErrorNote} error=${error} />
  </div>`;
}

function Player({ video, label }) {
  return html`<video class="video-player" data-file=${video.filename} src=${video.url} controls preload="metadata" playsinline aria-label=${label}></video>`;
}

function VideoJob({ job }) {
  const video = (job.images || []).find((m) => m.mediaType === "video") || (job.images || [])[0];
  const p = job.progress;
  return html`<article class="card video-job" data-request-id=${job.requestId} data-state=${job.state} aria-labelledby=${`vj-${job.requestId}`}>
    <div class="row spread">
      <h3 id=${`vj-${job.requestId}`}>${job.prompt}</h3>
      ${job.state !== "running" && html`<button type="button" class="quiet" onClick=${() => forget(job.requestId)}>${t("action.dismiss")}</button>`}
    </div>
    ${job.state === "running" &&
    html`<div class="video-progress">
      <p role="status">${t(`video.phase.${job.phase}`, {}, t(`phase.${job.phase}`, {}, job.phase))}${job.stalled ? html` <span class="badge warn">${t("video.stalled")}</span>` : ""}
        ${job.modelFallback ? html` <span class="badge">${t("video.fallback", { model: job.effectiveModel })}</span>` : ""}</p>
      <progress max="1" value=${typeof p === "number" ? p : undefined} aria-label=${t("video.progressOf", { prompt: job.prompt })}></progress>
      ${typeof p === "number" && html`<span class="muted">${Math.round(p * 100)}%</span>`}
      <span class="muted"> · ${formatDuration(Date.now() - job.startedAt)}</span>
    </div>`}
    ${job.state === "error" && job.error && html`<${ErrorNote} error=${job.error} />`}
    ${job.state === "done" && video &&
    html`<${Player} video=${video} label=${t("video.playerOf", { prompt: job.prompt })} />
      ${video.videoContinuity?.entries?.length > 1 && html`<${Lineage} continuity=${video.videoContinuity} />`}
      ${job.meta?.revisedPrompt && html`<details><summary>${t("video.revised")}</summary><p>${job.meta.revisedPrompt}</p></details>`}
      <${VideoActions} video=${video} prompt=${job.prompt} />`}
  </article>`;
}

function ExtraJob({ item }) {
  return html`<article class="card video-job" data-state=${item.state} aria-label=${t(`video.${item.kind}Of`, { prompt: item.prompt })}>
    <h3>${t(`video.${item.kind}Of`, { prompt: item.prompt })}</h3>
    ${item.state === "running" && html`<p role="status">${t("video.blocking")}</p><progress aria-label=${t("video.working")}></progress>`}
    ${item.state === "error" && html`<${ErrorNote} error=${item.error} />`}
    ${item.state === "done" && html`<${Player} video=${item.video} label=${t(`video.${item.kind}Of`, { prompt: item.prompt })} />
      <${VideoActions} video=${item.video} prompt=${item.prompt} />`}
  </article>`;
}

export function VideoScreen() {
  useEffect(() => {
    const stop = [vform.provider, vform.model, vform.duration, vform.resolution, vform.aspect, vform.planner].map((s) => s.subscribe(persist));
    return () => stop.forEach((f) => f());
  }, []);
  const mine = jobs.value.filter((j) => j.kind === "video" && j.mine);
  const issues = problems();
  return html`<div class="screen video">
    <section class="composer" aria-labelledby="video-title">
      <h1 id="video-title">${t("video.title")}</h1>
      <form onSubmit=${(e) => {
        e.preventDefault();
        generate();
      }}>
        <div class="field">
          <label for="video-prompt">${t("field.prompt")}</label>
          <textarea id="video-prompt" rows="4" value=${vform.prompt.value} placeholder=${t("video.placeholder")}
            onInput=${(e) => (vform.prompt.value = e.currentTarget.value)}
            onKeyDown=${(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                generate();
              }
            }}></textarea>
        </div>
        <${Inputs} />
        <${Options} />
        ${issues.length > 0 && html`<ul class="problems" role="alert">${issues.map((p) => html`<li>${p}</li>`)}</ul>`}
        <button type="submit" class="primary" disabled=${issues.length > 0}>${continueFrom.value ? t("video.generateContinue") : t("video.generate")}</button>
      </form>
    </section>
    <section class="results" aria-labelledby="video-results">
      <h2 id="video-results">${t("video.results")}</h2>
      ${mine.length === 0 && extras.value.length === 0 && html`<p class="muted">${t("video.empty")}</p>`}
      ${extras.value.map((x) => html`<${ExtraJob} key=${x.id} item=${x} />`)}
      ${mine.map((job) => html`<${VideoJob} key=${job.requestId} job=${job} />`)}
    </section>
  </div>`;
}
