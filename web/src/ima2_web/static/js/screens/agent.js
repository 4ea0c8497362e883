// Agent Mode: a conversation that plans and makes images. Sessions on the side, the conversation
// with its images inline, a composer with slash-command hints, the current image with its locks,
// the session's generation settings, and the queue with live status, cancel and retry.
import { html, useState, useEffect, useRef, formatDate } from "../lib.js";
import { t } from "../strings.js";
import { toast } from "../stores/toasts.js";
import { ErrorNote, ProviderModel, SelectField } from "../components/controls.js";
import { capabilities } from "../stores/status.js";
import { SIZE_PRESETS } from "../stores/composer.js";
import {
  workspace,
  session,
  commands,
  sending,
  agentError,
  livePhases,
  loadWorkspace,
  selectSession,
  createSession,
  updateSession,
  deleteSession,
  compact,
  send,
  cancelItem,
  retryItem,
  followQueue,
} from "../stores/agent.js";

const report = (err) => toast(err.message, { kind: "error" });

function Sessions() {
  const ws = workspace.value;
  const [renaming, setRenaming] = useState(null);
  const [title, setTitle] = useState("");
  return html`<section class="panel agent-sessions" aria-labelledby="agent-sessions-title">
    <div class="row spread">
      <h2 id="agent-sessions-title">${t("agent.sessions")}</h2>
      <button type="button" onClick=${() => createSession().catch(report)}>${t("agent.newSession")}</button>
    </div>
    ${ws.sessions.length === 0 && html`<p class="muted">${t("agent.noSessions")}</p>`}
    <ul class="session-list">
      ${ws.sessions.map(
        (s) => html`<li key=${s.id} class=${s.id === ws.selectedSessionId ? "current" : ""}>
          ${renaming === s.id
            ? html`<form
                class="row"
                onSubmit=${(e) => {
                  e.preventDefault();
                  updateSession({ title }).then(() => setRenaming(null), report);
                }}
              >
                <label class="sr-only" for="agent-rename">${t("agent.titleField")}</label>
                <input id="agent-rename" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
                <button type="submit">${t("action.save")}</button>
              </form>`
            : html`<button
                type="button"
                class="session-open"
                aria-current=${s.id === ws.selectedSessionId ? "true" : undefined}
                onClick=${() => selectSession(s.id).catch(report)}
              >
                <span>${s.title}</span>
                <span class="muted">${t("agent.sessionMeta", { turns: s.turnCount, images: s.imageCount })}</span>
              </button>`}
          ${s.id === ws.selectedSessionId &&
          renaming !== s.id &&
          html`<button
              type="button"
              class="quiet"
              aria-label=${t("agent.rename", { title: s.title })}
              onClick=${() => {
                setTitle(s.title);
                setRenaming(s.id);
              }}
            >
              ${t("agent.renameShort")}
            </button>
            <button type="button" class="quiet" aria-label=${t("agent.delete", { title: s.title })} onClick=${() => deleteSession(s.id).catch(report)}>
              ${t("action.delete")}
            </button>`}
        </li>`,
      )}
    </ul>
  </section>`;
}

function TurnImages({ images }) {
  if (!images?.length) return null;
  return html`<div class="agent-images">
    ${images.map(
      (img) => html`<a key=${img.filename} href=${img.url} target="_blank" rel="noopener">
        <img src=${img.thumb || img.url} alt=${t("agent.imageAlt", { prompt: img.prompt || img.filename })} loading="lazy" />
      </a>`,
    )}
  </div>`;
}

function Conversation() {
  const ws = workspace.value;
  const end = useRef(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "nearest" });
  }, [ws.turns.length, ws.selectedSessionId]);
  const current = session.value;
  return html`<section class="panel agent-conversation" aria-labelledby="agent-conversation-title">
    <div class="row spread">
      <h1 id="agent-conversation-title">${current ? current.title : t("agent.heading")}</h1>
      ${current &&
      html`<button type="button" onClick=${() => compact().then(() => toast(t("agent.compacted")), report)} disabled=${ws.turns.length === 0}>
        ${t("agent.compact")}
      </button>`}
    </div>
    ${current?.summary && html`<p class="agent-summary"><strong>${t("agent.summary")}</strong> ${current.summary}</p>`}
    ${ws.turns.length === 0 && html`<p class="muted">${current ? t("agent.emptyConversation") : t("agent.pickSession")}</p>`}
    <ol class="agent-turns" aria-label=${t("agent.turns")}>
      ${ws.turns.map(
        (turn) => html`<li key=${turn.id} class=${`agent-turn ${turn.role}${turn.compacted ? " compacted" : ""}${turn.status === "error" ? " failed" : ""}`}>
          <div class="agent-turn-head">
            <strong>${t(`agent.role.${turn.role}`, {}, turn.role)}</strong>
            ${turn.toolCalls?.map((call) => html`<span class="badge">${t(`agent.tool.${call.name}`, {}, call.name)}</span>`)}
            ${turn.compacted && html`<span class="badge">${t("agent.compactedTurn")}</span>`}
            <span class="muted">${formatDate(turn.createdAt)}</span>
          </div>
          <p class="agent-text">${turn.text}</p>
          <${TurnImages} images=${turn.images} />
        </li>`,
      )}
    </ol>
    <div ref=${end}></div>
    ${current && html`<${Composer} />`}
  </section>`;
}

function Composer() {
  const [text, setText] = useState("");
  const typed = text.trimStart();
  const hints = typed.startsWith("/") && !typed.includes(" ")
    ? commands.value.filter((c) => `/${c.name}`.startsWith(typed.toLowerCase()))
    : [];
  const submit = () => {
    const prompt = text.trim();
    if (!prompt) return;
    send(prompt).then(() => setText(""), () => {});
  };
  return html`<form
    class="agent-composer"
    onSubmit=${(e) => {
      e.preventDefault();
      submit();
    }}
  >
    <div class="field">
      <label for="agent-message">${t("agent.message")}</label>
      <textarea
        id="agent-message"
        rows="3"
        placeholder=${t("agent.placeholder")}
        value=${text}
        aria-describedby="agent-hints"
        onInput=${(e) => setText(e.currentTarget.value)}
        onKeyDown=${(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            submit();
          }
        }}
      ></textarea>
    </div>
    <div id="agent-hints" aria-live="polite">
      ${hints.length > 0 &&
      html`<ul class="agent-hints" aria-label=${t("agent.commands")}>
        ${hints.map(
          (c) => html`<li key=${c.name}>
            <button type="button" class="quiet" onClick=${() => setText(`/${c.name} `)}><code>${c.usage}</code></button>
            <span class="muted">${c.description}</span>
          </li>`,
        )}
      </ul>`}
    </div>
    <${ErrorNote} error=${agentError.value} />
    <div class="row spread">
      <span class="hint">${t("agent.composerHint")}</span>
      <button type="submit" class="primary" disabled=${sending.value || !text.trim()}>${t("agent.send")}</button>
    </div>
  </form>`;
}

function LockList({ kind, locks }) {
  const [value, setValue] = useState("");
  const key = kind === "style" ? "styleLocks" : "subjectLocks";
  const id = `agent-lock-${kind}`;
  return html`<div class="agent-locks">
    <h3>${t(`agent.locks.${kind}`)}</h3>
    <ul>
      ${locks.map(
        (lock) => html`<li key=${lock}>
          <span>${lock}</span>
          <button type="button" class="quiet" aria-label=${t("agent.unlock", { lock })} onClick=${() => updateSession({ [key]: locks.filter((l) => l !== lock) }).catch(report)}>×</button>
        </li>`,
      )}
    </ul>
    <form
      class="row"
      onSubmit=${(e) => {
        e.preventDefault();
        if (value.trim()) updateSession({ [key]: [...locks, value.trim()] }).then(() => setValue(""), report);
      }}
    >
      <div class="field grow">
        <label for=${id}>${t(`agent.addLock.${kind}`)}</label>
        <input id=${id} value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      </div>
      <button type="submit">${t("action.add")}</button>
    </form>
  </div>`;
}

function CurrentImage() {
  const current = session.value;
  if (!current) return null;
  const image = current.currentImage;
  return html`<section class="panel agent-current" aria-labelledby="agent-current-title">
    <h2 id="agent-current-title">${t("agent.currentImage")}</h2>
    ${image
      ? html`<figure>
          <img src=${image.thumb || image.url} alt=${t("agent.imageAlt", { prompt: image.prompt || image.filename })} />
          <figcaption class="muted">${image.filename}</figcaption>
        </figure>`
      : html`<p class="muted">${t("agent.noCurrentImage")}</p>`}
    <${LockList} kind="style" locks=${current.styleLocks} />
    <${LockList} kind="subject" locks=${current.subjectLocks} />
    <div class="field check">
      <input
        type="checkbox"
        id="agent-web-search"
        checked=${current.webSearchEnabled}
        onChange=${(e) => updateSession({ webSearchEnabled: e.currentTarget.checked }).catch(report)}
      />
      <label for="agent-web-search">${t("agent.webSearch")}</label>
    </div>
  </section>`;
}

// A session setting as the shared provider/model picker expects it (an object with `value`):
// changes made in one event (a provider and its default model) go out as one patch.
function settingRefs(settings, keys) {
  const patch = {};
  const flush = () => {
    const body = { ...patch };
    for (const key of Object.keys(patch)) delete patch[key];
    updateSession({ generationSettings: body }).catch(report);
  };
  return Object.fromEntries(
    keys.map((key) => [
      key,
      {
        get value() {
          return key in patch ? patch[key] : settings[key];
        },
        set value(v) {
          if (!Object.keys(patch).length) queueMicrotask(flush);
          patch[key] = v;
        },
      },
    ]),
  );
}

const counts = [1, 2, 3, 4].map((n) => ({ value: String(n), label: String(n) }));

function GenerationSettings() {
  const current = session.value;
  const caps = capabilities.value;
  if (!current || !caps) return null;
  const settings = current.generationSettings;
  const refs = settingRefs(settings, ["provider", "model"]);
  const set = (key) => (value) => updateSession({ generationSettings: { [key]: value } }).catch(report);
  const sizes = SIZE_PRESETS.includes(settings.size) ? SIZE_PRESETS : [settings.size, ...SIZE_PRESETS];
  return html`<section class="panel agent-settings" aria-labelledby="agent-settings-title">
    <h2 id="agent-settings-title">${t("agent.settings")}</h2>
    <${ProviderModel} provider=${refs.provider} model=${refs.model} idPrefix="agent" />
    <${SelectField}
      id="agent-quality"
      label=${t("field.quality")}
      value=${settings.quality}
      options=${caps.qualities.map((q) => ({ value: q, label: t(`quality.${q}`) }))}
      onChange=${set("quality")}
    />
    <${SelectField}
      id="agent-size"
      label=${t("field.size")}
      value=${settings.size}
      options=${sizes.map((s) => ({ value: s, label: s === "auto" ? t("size.auto") : s.replace("x", " × ") }))}
      onChange=${set("size")}
    />
    <${SelectField}
      id="agent-strategy"
      label=${t("agent.strategy")}
      value=${settings.generationStrategy}
      options=${["auto", "manual"].map((s) => ({ value: s, label: t(`agent.strategy.${s}`) }))}
      onChange=${set("generationStrategy")}
    />
    <${SelectField} id="agent-variants" label=${t("agent.variants")} value=${String(settings.variants)} options=${counts} onChange=${(v) => set("variants")(Number(v))} />
    <${SelectField}
      id="agent-parallelism"
      label=${t("agent.parallelism")}
      value=${String(settings.parallelism)}
      options=${counts}
      onChange=${(v) => set("parallelism")(Number(v))}
      hint=${t("agent.parallelismHint")}
    />
  </section>`;
}

function Queue() {
  const ws = workspace.value;
  if (!ws.session) return null;
  const phases = livePhases.value;
  return html`<section class="panel agent-queue" aria-labelledby="agent-queue-title">
    <h2 id="agent-queue-title">${t("agent.queue")}</h2>
    ${ws.queue.length === 0 && html`<p class="muted">${t("agent.queueEmpty")}</p>`}
    <ul>
      ${ws.queue.map(
        (item) => html`<li key=${item.id} data-status=${item.status}>
          <div class="agent-queue-text">
            <span class="prompt">${item.prompt}</span>
            <span class=${`badge ${item.status === "failed" ? "bad" : item.status === "succeeded" ? "ok" : item.status === "canceled" ? "warn" : ""}`}>
              ${t(`agent.status.${item.status}`, {}, item.status)}${item.status === "running" && phases[item.requestId] ? ` · ${t(`phase.${phases[item.requestId]}`, {}, phases[item.requestId])}` : ""}
            </span>
            ${item.errorCode && html`<span class="muted"><code>${item.errorCode}</code></span>`}
          </div>
          ${(item.status === "queued" || item.status === "running") &&
          html`<button type="button" aria-label=${t("agent.cancelItem", { prompt: item.prompt.slice(0, 40) })} onClick=${() => cancelItem(item).catch(report)}>
            ${t("action.cancel")}
          </button>`}
          ${(item.status === "failed" || item.status === "canceled") &&
          html`<button type="button" aria-label=${t("agent.retryItem", { prompt: item.prompt.slice(0, 40) })} onClick=${() => retryItem(item).catch(report)}>
            ${t("agent.retry")}
          </button>`}
        </li>`,
      )}
    </ul>
  </section>`;
}

export function AgentScreen() {
  useEffect(() => {
    loadWorkspace().catch(() => {});
    return followQueue();
  }, []);
  return html`<div class="screen agent">
    <${Sessions} />
    <${Conversation} />
    <div class="agent-side">
      <${CurrentImage} />
      <${GenerationSettings} />
      <${Queue} />
    </div>
  </div>`;
}
