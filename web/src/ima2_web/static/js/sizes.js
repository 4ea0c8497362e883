// What each provider does with a custom W×H (shown next to the custom size fields).
const GROK_RATIOS = ["1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16"];
const GEMINI_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

function closestRatio(w, h, ratios) {
  const target = Math.log(w / h);
  let best = ratios[0];
  for (const r of ratios) {
    const [a, b] = r.split(":").map(Number);
    if (Math.abs(Math.log(a / b) - target) < Math.abs(Math.log(best.split(":")[0] / best.split(":")[1]) - target)) best = r;
  }
  return best;
}

/** {w, h, note} for a custom size, or {error} when it cannot be sent. */
export function snapSize(provider, w, h) {
  w = Math.round(Number(w));
  h = Math.round(Number(h));
  if (!(w >= 64 && h >= 64 && w <= 8192 && h <= 8192)) return { error: "size.invalid" };
  if (provider === "grok" || provider === "grok-api") {
    const ratio = closestRatio(w, h, GROK_RATIOS);
    const tier = Math.max(w, h) > 1536 || w * h > 1536 * 1536 ? "2k" : "1k";
    return { note: ["size.snapRatio", { ratio, tier }] };
  }
  if (provider === "gemini-api") {
    const ratio = closestRatio(w, h, GEMINI_RATIOS);
    const edge = Math.max(w, h);
    const tier = edge <= 512 ? "512px" : edge <= 1024 ? "1K" : edge <= 2048 ? "2K" : "4K";
    return { note: ["size.snapRatio", { ratio, tier }] };
  }
  const sw = Math.max(16, Math.round(w / 16) * 16);
  const sh = Math.max(16, Math.round(h / 16) * 16);
  return { w: sw, h: sh, note: ["size.snap16", { w: sw, h: sh }] };
}
