// Prompt library: folders, favourites, search, save from the composer, insert, import, export.
import { html, useState, useEffect, useRef, downloadBlob, readText } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import { form } from "../stores/composer.js";
import { go } from "../stores/router.js";
import { toast } from "../stores/toasts.js";
import { ErrorNote } from "../components/controls.js";

/** "Save prompt" next to Generate: names the composer's prompt and stores it. */
export function SavePrompt() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  if (!open) {
    return html`<button type="button" onClick=${() => setOpen(true)} disabled=${!form.prompt.value.trim()}>${t("prompts.saveCurrent")}</button>`;
  }
  const save = async () => {
    try {
      await api.createPrompt({ text: form.prompt.value, name: name.trim() || form.prompt.value.slice(0, 40) });
      toast(t("prompts.saved"));
      setOpen(false);
      setName("");
    } catch (err) {
      toast(err.message, { kind: "error" });
    }
  };
  return html`<div class="row wrap save-prompt">
    <div class="field">
      <label for="save-prompt-name">${t("prompts.name")}</label>
      <input id="save-prompt-name" value=${name} onInput=${(e) => setName(e.currentTarget.value)} onKeyDown=${(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          save();
        }
      }} />
    </div>
    <button type="button" onClick=${save}>${t("action.save")}</button>
    <button type="button" class="quiet" onClick=${() => setOpen(false)}>${t("action.cancel")}</button>
  </div>`;
}

export function PromptsScreen() {
  const [data, setData] = useState({ prompts: [], folders: [] });
  const [folder, setFolder] = useState("");
  const [favorites, setFavorites] = useState(false);
  const [search, setSearch] = useState("");
  const [newFolder, setNewFolder] = useState("");
  const [error, setError] = useState(null);
  const importInput = useRef(null);
  const load = async () => {
    try {
      setData(await api.prompts({ search, folderId: folder, favoritesOnly: favorites ? 1 : "" }));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    const timer = setTimeout(load, 200);
    return () => clearTimeout(timer);
  }, [folder, favorites, search]);
  const folders = data.folders.filter((f) => f.id !== "__trash__");
  const act = (call, done) => call.then(() => (done && toast(done), load()), (err) => toast(err.message, { kind: "error" }));
  return html`<div class="screen prompts">
    <h1>${t("prompts.title")}</h1>
    <div class="prompts-layout">
      <nav class="folders" aria-label=${t("prompts.folders")}>
        <ul>
          <li><button type="button" aria-pressed=${folder === "" ? "true" : "false"} onClick=${() => setFolder("")}>${t("prompts.all")}</button></li>
          ${folders.map(
            (f) => html`<li key=${f.id}><button type="button" aria-pressed=${folder === f.id ? "true" : "false"} onClick=${() => setFolder(f.id)}>${f.id === "__root__" ? t("prompts.root") : f.name}</button></li>`,
          )}
        </ul>
        <form
          class="row"
          onSubmit=${(e) => {
            e.preventDefault();
            if (newFolder.trim()) act(api.createFolder(newFolder.trim()), t("prompts.folderCreated")).then(() => setNewFolder(""));
          }}
        >
          <div class="field grow">
            <label for="new-folder">${t("prompts.newFolder")}</label>
            <input id="new-folder" value=${newFolder} onInput=${(e) => setNewFolder(e.currentTarget.value)} />
          </div>
          <button type="submit">${t("action.add")}</button>
        </form>
      </nav>
      <section aria-labelledby="prompt-list-title">
        <h2 id="prompt-list-title" class="sr-only">${t("prompts.list")}</h2>
        <div class="row wrap">
          <div class="field grow">
            <label for="prompt-search">${t("prompts.search")}</label>
            <input id="prompt-search" type="search" value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} />
          </div>
          <div class="field check">
            <input id="prompt-fav" type="checkbox" checked=${favorites} onChange=${(e) => setFavorites(e.currentTarget.checked)} />
            <label for="prompt-fav">${t("prompts.favoritesOnly")}</label>
          </div>
          <button
            type="button"
            onClick=${async () => {
              try {
                const body = await api.exportPrompts();
                downloadBlob(new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }), "ima2-prompts.json");
              } catch (err) {
                toast(err.message, { kind: "error" });
              }
            }}
          >
            ${t("prompts.export")}
          </button>
          <button type="button" onClick=${() => importInput.current.click()}>${t("prompts.import")}</button>
          <input ref=${importInput} type="file" accept="application/json,.json" hidden aria-label=${t("prompts.import")} onChange=${async (e) => {
            const file = e.currentTarget.files[0];
            e.currentTarget.value = "";
            if (!file) return;
            try {
              const reply = await api.importPrompts(JSON.parse(await readText(file)));
              toast(t("prompts.imported", { n: reply.promptsImported, skipped: reply.duplicatesSkipped }));
              load();
            } catch (err) {
              toast(err.message, { kind: "error" });
            }
          }} />
        </div>
        <${ErrorNote} error=${error} />
        ${data.prompts.length === 0 && html`<p class="muted">${t("prompts.empty")}</p>`}
        <ul class="prompt-list">
          ${data.prompts.map(
            (p) => html`<li key=${p.id}>
              <div>
                <h3>${p.name || p.text.slice(0, 40)}</h3>
                <p>${p.text}</p>
              </div>
              <div class="row wrap">
                <button
                  type="button"
                  aria-label=${t("prompts.insert", { name: p.name })}
                  onClick=${() => {
                    form.prompt.value = p.text;
                    go("create");
                  }}
                >
                  ${t("prompts.insertShort")}
                </button>
                <button type="button" aria-pressed=${p.isFavorite ? "true" : "false"} aria-label=${t("prompts.favorite", { name: p.name })} onClick=${() => act(api.favoritePrompt(p.id))}>
                  ${p.isFavorite ? "★" : "☆"}
                </button>
                <select
                  aria-label=${t("prompts.move", { name: p.name })}
                  value=${p.folderId}
                  onChange=${(e) => act(api.updatePrompt(p.id, { folderId: e.currentTarget.value }), t("prompts.moved"))}
                >
                  ${folders.map((f) => html`<option value=${f.id}>${f.id === "__root__" ? t("prompts.root") : f.name}</option>`)}
                </select>
                <button type="button" aria-label=${t("prompts.delete", { name: p.name })} onClick=${() => act(api.deletePrompt(p.id), t("prompts.deleted"))}>${t("action.delete")}</button>
              </div>
            </li>`,
          )}
        </ul>
      </section>
    </div>
  </div>`;
}
