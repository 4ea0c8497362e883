// Every running job (this tab, other tabs, the CLI), with cancel.
import { html, formatDuration, useState, useEffect } from "../lib.js";
import { t } from "../strings.js";
import { running, cancelJob } from "../stores/jobs.js";
import { toast } from "../stores/toasts.js";

function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function InflightPanel() {
  const list = running.value;
  const now = useNow();
  return html`<aside class=${list.length ? "inflight" : "inflight idle"} aria-labelledby="inflight-title">
    <h2 id="inflight-title">${t("inflight.title")} <span class="count">${list.length}</span></h2>
    ${list.length === 0 && html`<p class="muted">${t("inflight.empty")}</p>`}
    <ul>
      ${list.map(
        (job) => html`<li key=${job.requestId} data-request-id=${job.requestId}>
          <div class="inflight-text">
            <span class="kind">${t(`kind.${job.kind}`, {}, job.kind)}</span>
            <span class="prompt">${job.prompt || t("inflight.otherClient")}</span>
            <span class="muted">${t(`phase.${job.phase}`, {}, job.phase)} · ${formatDuration(now - job.startedAt)}</span>
          </div>
          <button
            type="button"
            aria-label=${t("inflight.cancel", { prompt: (job.prompt || job.requestId).slice(0, 40) })}
            onClick=${() => cancelJob(job.requestId).catch((err) => toast(err.message, { kind: "error" }))}
          >
            ${t("action.cancel")}
          </button>
        </li>`,
      )}
    </ul>
  </aside>`;
}
