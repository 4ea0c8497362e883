// Edit with a mask: paint where the image should change (brush, erase, clear, invert), then
// send the image and a same-size PNG mask (transparent = edit here) to POST /api/edit.
import { html, useRef, useState, useEffect, readDataUrl } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import { form } from "../stores/composer.js";
import { features, providerList } from "../stores/status.js";
import { editSource } from "../stores/edit.js";
import { jobs, startJob } from "../stores/jobs.js";
import { ProviderModel, ErrorNote } from "../components/controls.js";
import { JobCard } from "../components/jobcard.js";
import { Composer } from "./create.js";
import { urlToFile } from "../images.js";

function maskRefusal(provider) {
  return features(provider).mask ? null : t("edit.noMask");
}

/** The mask PNG: opaque white everywhere but the painted area, which is transparent. */
function buildMask(paint) {
  const mask = document.createElement("canvas");
  mask.width = paint.width;
  mask.height = paint.height;
  const ctx = mask.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, mask.width, mask.height);
  ctx.globalCompositeOperation = "destination-out";
  ctx.drawImage(paint, 0, 0);
  return mask.toDataURL("image/png");
}

function isBlank(canvas) {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i]) return false;
  return true;
}

function MaskPainter({ src, paintRef }) {
  const [brush, setBrush] = useState(48);
  const [erase, setErase] = useState(false);
  const [size, setSize] = useState(null);
  const drawing = useRef(false);
  const last = useRef(null);
  const onLoad = (e) => {
    const img = e.currentTarget;
    const canvas = paintRef.current;
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    setSize({ w: img.naturalWidth, h: img.naturalHeight });
  };
  const point = (e) => {
    const canvas = paintRef.current;
    const rect = canvas.getBoundingClientRect();
    return { x: ((e.clientX - rect.left) * canvas.width) / rect.width, y: ((e.clientY - rect.top) * canvas.height) / rect.height, scale: canvas.width / rect.width };
  };
  const stroke = (e) => {
    const ctx = paintRef.current.getContext("2d");
    const p = point(e);
    ctx.globalCompositeOperation = erase ? "destination-out" : "source-over";
    ctx.strokeStyle = "rgba(255, 40, 80, 1)";
    ctx.lineWidth = brush * p.scale;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    const from = last.current || p;
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last.current = p;
  };
  const clear = () => {
    const c = paintRef.current;
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
  };
  const invert = () => {
    const c = paintRef.current;
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    copy.getContext("2d").drawImage(c, 0, 0);
    const ctx = c.getContext("2d");
    ctx.globalCompositeOperation = "source-over";
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.fillStyle = "rgba(255, 40, 80, 1)";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.globalCompositeOperation = "destination-out";
    ctx.drawImage(copy, 0, 0);
    ctx.globalCompositeOperation = "source-over";
  };
  return html`<div class="mask-editor">
    <div class="row wrap mask-tools" role="toolbar" aria-label=${t("edit.tools")}>
      <div class="field">
        <label for="brush-size">${t("edit.brush")} (${brush}px)</label>
        <input id="brush-size" type="range" min="4" max="200" value=${brush} onInput=${(e) => setBrush(Number(e.currentTarget.value))} />
      </div>
      <button type="button" aria-pressed=${erase ? "false" : "true"} onClick=${() => setErase(false)}>${t("edit.paint")}</button>
      <button type="button" aria-pressed=${erase ? "true" : "false"} onClick=${() => setErase(true)}>${t("edit.erase")}</button>
      <button type="button" onClick=${clear}>${t("edit.clear")}</button>
      <button type="button" onClick=${invert}>${t("edit.invert")}</button>
    </div>
    <div class="mask-stage">
      <img src=${src} alt=${t("edit.imageAlt")} onLoad=${onLoad} />
      <canvas
        ref=${paintRef}
        class="mask-canvas"
        role="img"
        aria-label=${t("edit.maskCanvas")}
        onPointerDown=${(e) => {
          drawing.current = true;
          last.current = null;
          e.currentTarget.setPointerCapture(e.pointerId);
          stroke(e);
        }}
        onPointerMove=${(e) => drawing.current && stroke(e)}
        onPointerUp=${() => {
          drawing.current = false;
          last.current = null;
        }}
      ></canvas>
    </div>
    ${size && html`<p class="hint">${t("edit.maskHint", { w: size.w, h: size.h })}</p>`}
  </div>`;
}

export function EditScreen() {
  const paint = useRef(null);
  const picker = useRef(null);
  const [error, setError] = useState(null);
  const source = editSource.value;
  const provider = form.provider.value;
  const refusal = maskRefusal(provider);
  const mine = jobs.value.filter((j) => j.mine && j.kind === "edit");
  useEffect(() => {
    // This screen paints masks: move off a provider that refuses them.
    if (!refusal) return;
    const list = providerList.value;
    const ok = list.find((p) => !maskRefusal(p.id) && p.available) || list.find((p) => !maskRefusal(p.id));
    if (ok) {
      form.provider.value = ok.id;
      form.model.value = ok.defaultModel;
    }
  }, [provider, providerList.value.length]);

  const submit = async () => {
    setError(null);
    if (!source) return setError({ message: t("edit.pickFirst") });
    if (!form.prompt.value.trim()) return setError({ message: t("create.promptRequired") });
    try {
      const image = await readDataUrl(await urlToFile(source.url, source.name));
      const body = { prompt: form.prompt.value.trim(), image, provider, model: form.model.value, quality: form.quality.value, moderation: form.moderation.value };
      if (paint.current && !isBlank(paint.current)) {
        if (refusal) return setError({ message: refusal });
        body.mask = buildMask(paint.current);
      }
      await startJob("edit", api.edit, body);
    } catch (err) {
      setError(err);
    }
  };

  return html`<div class="screen edit">
    <section class="composer" aria-labelledby="edit-title">
      <h1 id="edit-title">${t("edit.title")}</h1>
      <div class="row wrap">
        <button type="button" onClick=${() => picker.current.click()}>${t("edit.pick")}</button>
        <input ref=${picker} type="file" accept="image/png,image/jpeg,image/webp" hidden aria-label=${t("edit.pick")} onChange=${async (e) => {
          const file = e.currentTarget.files[0];
          e.currentTarget.value = "";
          if (file) editSource.value = { url: await readDataUrl(file), filename: "", name: file.name };
        }} />
        ${source && html`<span class="muted">${source.name}</span>`}
      </div>
      ${!source && html`<p class="muted">${t("edit.none")}</p>`}
      ${source && html`<${MaskPainter} key=${source.url} src=${source.url} paintRef=${paint} />`}
      <form
        onSubmit=${(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <${Composer} onSubmit=${submit} idPrefix="edit" label=${t("edit.prompt")} hint=${t("create.shortcutOnly")} />
        <${ProviderModel} provider=${form.provider} model=${form.model} idPrefix="edit" refuse=${maskRefusal} />
        ${refusal && html`<p class="hint">${t("edit.providerNoMask")}</p>`}
        <button type="submit" class="primary">${t("edit.run")}</button>
        <${ErrorNote} error=${error} />
      </form>
    </section>
    <section class="results" aria-labelledby="edit-results">
      <h2 id="edit-results">${t("edit.results")}</h2>
      ${mine.length === 0 && html`<p class="muted">${t("edit.empty")}</p>`}
      ${mine.map((job) => html`<${JobCard} key=${job.requestId} job=${job} />`)}
    </section>
  </div>`;
}
