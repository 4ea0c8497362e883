// Drop a generated PNG anywhere: read its embedded prompt and settings back into the composer.
import { api } from "../api.js";
import { readDataUrl } from "../lib.js";
import { t } from "../strings.js";
import { applyMetadata } from "../stores/composer.js";
import { toast } from "../stores/toasts.js";
import { go } from "../stores/router.js";

export async function recallFromDrop(file) {
  if (!file.type.startsWith("image/")) {
    toast(t("recall.notImage"), { kind: "error" });
    return;
  }
  try {
    const reply = await api.readMetadata(await readDataUrl(file));
    if (reply.metadata && applyMetadata(reply.metadata)) {
      toast(t("recall.done"));
      go("create");
    } else toast(t("recall.none"), { kind: "error" });
  } catch (err) {
    toast(`${t("recall.failed")}: ${err.message}`, { kind: "error" });
  }
}
