// In-browser image work: reference compression to the server's limits, HEIC refusal.
const HEIC = /\.(heic|heif)$/i;
const MAX_EDGE = 2048;

export class ImageRefused extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason; // "heic" | "notImage" | "unreadable" | "tooLarge"
  }
}

function base64Bytes(dataUrl) {
  return dataUrl.length - dataUrl.indexOf(",") - 1;
}

/** A reference as a data URL whose base64 fits `maxB64Bytes`, scaled and re-encoded as needed. */
export async function compressImage(file, maxB64Bytes) {
  if (/image\/hei[cf]/i.test(file.type) || HEIC.test(file.name || "")) throw new ImageRefused("heic");
  if (!file.type.startsWith("image/")) throw new ImageRefused("notImage");
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new ImageRefused("unreadable");
  }
  let edge = Math.min(MAX_EDGE, Math.max(bitmap.width, bitmap.height));
  for (let attempt = 0; attempt < 6; attempt += 1) {
    const scale = edge / Math.max(bitmap.width, bitmap.height);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const type = file.type === "image/png" && attempt === 0 ? "image/png" : "image/jpeg";
    const dataUrl = canvas.toDataURL(type, 0.9 - attempt * 0.1);
    if (base64Bytes(dataUrl) <= maxB64Bytes) return { dataUrl, width: canvas.width, height: canvas.height };
    if (attempt > 0) edge = Math.round(edge * 0.75);
  }
  throw new ImageRefused("tooLarge");
}

/** Fetch a same-origin image URL as a File. */
export async function urlToFile(url, name = "image.png") {
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  return new File([blob], name, { type: blob.type || "image/png" });
}
