// Card news (when the server has features.cardNews): a brief is drafted into a plan of cards, the
// cards are edited, then made as one job whose cards show up live; a set can retry its failed
// cards, make one card again with edits, and be downloaded as a zip.
import { html, useState, useEffect, formatDate, downloadBlob, signal } from "../lib.js";
import { t } from "../strings.js";
import { toast } from "../stores/toasts.js";
import { capabilities } from "../stores/status.js";
import { form } from "../stores/composer.js";
import { ErrorNote, ProviderModel, SelectField, CheckField } from "../components/controls.js";
import {
  templates,
  sets,
  draft,
  shown,
  busy,
  cardNewsError,
  loadCardNews,
  draftPlan,
  editCard,
  editTitle,
  discardDraft,
  makeCards,
  openSet,
  retryFailed,
  makeCardAgain,
  exportSet,
  followCards,
} from "../stores/cardnews.js";

const report = (err) => toast(err.message, { kind: "error" });
// The cards are made with the studio's provider and model (the Create screen's choice).
const quality = signal("medium");
const imageOptions = () => ({ provider: form.provider.value, model: form.model.value, quality: quality.value });
const STATUS_KIND = { generated: "ok", error: "bad", skipped: "warn" };

function SetList() {
  const current = shown.value?.plan.setId;
  return html`<section class="panel cardnews-sets" aria-labelledby="cardnews-sets-title">
    <div class="row spread">
      <h2 id="cardnews-sets-title">${t("cardnews.sets")}</h2>
      <button type="button" onClick=${() => ((shown.value = null), discardDraft())}>${t("cardnews.newSet")}</button>
    </div>
    ${sets.value.length === 0 && html`<p class="muted">${t("cardnews.noSets")}</p>`}
    <ul class="session-list">
      ${sets.value.map(
        (s) => html`<li key=${s.setId} class=${s.setId === current ? "current" : ""}>
          <button type="button" class="session-open" aria-current=${s.setId === current ? "true" : undefined} onClick=${() => openSet(s.setId).catch(report)}>
            <span>${s.title}</span>
            <span class="muted">${t("cardnews.setMeta", { cards: s.cardCount, status: t(`cardnews.setStatus.${s.status}`, {}, s.status) })} · ${formatDate(s.createdAt)}</span>
          </button>
        </li>`,
      )}
    </ul>
  </section>`;
}

function Brief() {
  const tpl = templates.value;
  const [topic, setTopic] = useState("");
  const [audience, setAudience] = useState("");
  const [goal, setGoal] = useState("");
  const [roleTemplateId, setRole] = useState("");
  const [imageTemplateId, setImage] = useState("");
  const [deterministic, setDeterministic] = useState(false);
  const role = roleTemplateId || tpl.roles[0]?.id || "";
  const image = imageTemplateId || tpl.image[0]?.id || "";
  return html`<form
    class="panel cardnews-brief"
    aria-labelledby="cardnews-brief-title"
    onSubmit=${(e) => {
      e.preventDefault();
      if (!topic.trim()) return;
      draftPlan({ topic: topic.trim(), audience: audience.trim() || null, goal: goal.trim() || null, roleTemplateId: role, imageTemplateId: image, deterministic }).catch(() => {});
    }}
  >
    <h2 id="cardnews-brief-title">${t("cardnews.brief")}</h2>
    <div class="field">
      <label for="cardnews-topic">${t("cardnews.topic")}</label>
      <input id="cardnews-topic" value=${topic} required maxlength="2000" onInput=${(e) => setTopic(e.currentTarget.value)} />
    </div>
    <div class="field">
      <label for="cardnews-audience">${t("cardnews.audience")}</label>
      <input id="cardnews-audience" value=${audience} onInput=${(e) => setAudience(e.currentTarget.value)} />
    </div>
    <div class="field">
      <label for="cardnews-goal">${t("cardnews.goal")}</label>
      <input id="cardnews-goal" value=${goal} onInput=${(e) => setGoal(e.currentTarget.value)} />
    </div>
    <${SelectField}
      id="cardnews-roles"
      label=${t("cardnews.roleTemplate")}
      value=${role}
      options=${tpl.roles.map((r) => ({ value: r.id, label: r.name }))}
      onChange=${setRole}
      hint=${tpl.roles.find((r) => r.id === role)?.description}
    />
    <${SelectField}
      id="cardnews-image-template"
      label=${t("cardnews.imageTemplate")}
      value=${image}
      options=${tpl.image.map((i) => ({ value: i.id, label: `${i.name} (${i.size.replace("x", " × ")})` }))}
      onChange=${setImage}
      hint=${tpl.image.find((i) => i.id === image)?.description}
    />
    <${CheckField} id="cardnews-deterministic" label=${t("cardnews.deterministic")} checked=${deterministic} onChange=${setDeterministic} />
    <button type="submit" class="primary" disabled=${busy.value === "draft" || !topic.trim()}>
      ${busy.value === "draft" ? t("cardnews.drafting") : t("cardnews.draft")}
    </button>
  </form>`;
}

function ImageOptions() {
  const caps = capabilities.value;
  if (!caps) return null;
  return html`<div class="cardnews-options">
    <${ProviderModel} provider=${form.provider} model=${form.model} idPrefix="cardnews" />
    <${SelectField}
      id="cardnews-quality"
      label=${t("field.quality")}
      value=${quality.value}
      options=${caps.qualities.map((q) => ({ value: q, label: t(`quality.${q}`) }))}
      onChange=${(v) => (quality.value = v)}
    />
  </div>`;
}

function PlanEditor() {
  const plan = draft.value;
  return html`<section class="panel cardnews-plan" aria-labelledby="cardnews-plan-title">
    <h2 id="cardnews-plan-title">${t("cardnews.plan")}</h2>
    <div class="field">
      <label for="cardnews-title">${t("cardnews.title")}</label>
      <input id="cardnews-title" value=${plan.title} maxlength="200" onInput=${(e) => editTitle(e.currentTarget.value)} />
    </div>
    <ol class="cardnews-edit-list">
      ${plan.cards.map(
        (card) => html`<li key=${card.id}>
          <fieldset>
            <legend>${t("cardnews.cardLegend", { order: card.order, role: card.role })}</legend>
            <div class="field">
              <label for=${`cn-h-${card.id}`}>${t("cardnews.headline")}</label>
              <input id=${`cn-h-${card.id}`} value=${card.headline} onInput=${(e) => editCard(card.id, { headline: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for=${`cn-b-${card.id}`}>${t("cardnews.body")}</label>
              <textarea id=${`cn-b-${card.id}`} rows="2" value=${card.body} onInput=${(e) => editCard(card.id, { body: e.currentTarget.value })}></textarea>
            </div>
            <div class="field">
              <label for=${`cn-v-${card.id}`}>${t("cardnews.visual")}</label>
              <textarea id=${`cn-v-${card.id}`} rows="2" value=${card.visualPrompt} onInput=${(e) => editCard(card.id, { visualPrompt: e.currentTarget.value })}></textarea>
            </div>
          </fieldset>
        </li>`,
      )}
    </ol>
    <${ImageOptions} />
    <div class="row wrap">
      <button type="button" class="primary" disabled=${busy.value === "make"} onClick=${() => makeCards(imageOptions()).catch(() => {})}>
        ${t("cardnews.make", { count: plan.cards.length })}
      </button>
      <button type="button" onClick=${discardDraft}>${t("cardnews.discard")}</button>
    </div>
  </section>`;
}

function CardTile({ card }) {
  const [editing, setEditing] = useState(false);
  const [headline, setHeadline] = useState(card.headline);
  const [body, setBody] = useState(card.body);
  const working = card.status === "queued" || card.status === "generating";
  return html`<li class="cardnews-card" data-status=${card.status}>
    ${card.url
      ? html`<a href=${card.url} target="_blank" rel="noopener"><img src=${card.url} alt=${t("cardnews.cardAlt", { order: card.order, headline: card.headline })} loading="lazy" /></a>`
      : html`<div class="cardnews-placeholder" aria-hidden="true">${working ? "…" : ""}</div>`}
    <div class="cardnews-card-text">
      <span class=${`badge ${STATUS_KIND[card.status] || ""}`}>${t(`cardnews.status.${card.status}`, {}, card.status)}</span>
      <strong>${card.order}. ${card.headline}</strong>
      ${card.body && html`<span class="muted">${card.body}</span>`}
      ${card.error && html`<span class="muted"><code>${card.error.code}</code> ${card.error.message}</span>`}
    </div>
    ${editing
      ? html`<form
          class="cardnews-again"
          onSubmit=${(e) => {
            e.preventDefault();
            makeCardAgain(card, { headline, body }, imageOptions()).then(() => setEditing(false), report);
          }}
        >
          <div class="field">
            <label for=${`cn-again-h-${card.id}`}>${t("cardnews.headline")}</label>
            <input id=${`cn-again-h-${card.id}`} value=${headline} onInput=${(e) => setHeadline(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for=${`cn-again-b-${card.id}`}>${t("cardnews.body")}</label>
            <textarea id=${`cn-again-b-${card.id}`} rows="2" value=${body} onInput=${(e) => setBody(e.currentTarget.value)}></textarea>
          </div>
          <div class="row">
            <button type="submit" class="primary" disabled=${busy.value === card.id}>${t("cardnews.makeAgain")}</button>
            <button type="button" onClick=${() => setEditing(false)}>${t("action.cancel")}</button>
          </div>
        </form>`
      : html`<button type="button" disabled=${working} aria-label=${t("cardnews.againCard", { order: card.order })} onClick=${() => setEditing(true)}>
          ${t("cardnews.again")}
        </button>`}
  </li>`;
}

function SetView() {
  const current = shown.value;
  const { plan } = current;
  const failed = plan.cards.some((c) => c.status === "error");
  return html`<section class="panel cardnews-set" aria-labelledby="cardnews-set-title">
    <div class="row spread">
      <h2 id="cardnews-set-title">${t("cardnews.cards")}</h2>
      <div class="row wrap">
        ${failed &&
        current.jobId &&
        html`<button type="button" disabled=${busy.value === "retry"} onClick=${() => retryFailed(imageOptions()).catch(() => {})}>${t("cardnews.retry")}</button>`}
        <button
          type="button"
          disabled=${busy.value === "export"}
          onClick=${() => exportSet().then(({ blob, filename }) => downloadBlob(blob, filename), () => {})}
        >
          ${t("cardnews.download")}
        </button>
      </div>
    </div>
    ${plan.topic && plan.topic !== plan.title && html`<p class="muted">${plan.topic}</p>`}
    <ol class="cardnews-cards" aria-labelledby="cardnews-set-title">
      ${plan.cards.map((card) => html`<${CardTile} key=${`${card.id}-${card.generatedAt || 0}`} card=${card} />`)}
    </ol>
    <${ImageOptions} />
  </section>`;
}

export function CardNewsScreen() {
  const enabled = capabilities.value?.features?.cardNews;
  useEffect(() => {
    if (!enabled) return undefined;
    loadCardNews().catch(report);
    return followCards();
  }, [enabled]);
  if (capabilities.value && !enabled) {
    return html`<div class="screen cardnews-off"><section class="panel"><h1>${t("nav.cardnews")}</h1><p>${t("cardnews.off")}</p></section></div>`;
  }
  return html`<div class="screen cardnews">
    <${SetList} />
    <div class="cardnews-main">
      <h1>${shown.value ? shown.value.plan.title : t("cardnews.heading")}</h1>
      <${ErrorNote} error=${cardNewsError.value} />
      ${shown.value ? html`<${SetView} />` : draft.value ? html`<${PlanEditor} />` : html`<${Brief} />`}
    </div>
  </div>`;
}
