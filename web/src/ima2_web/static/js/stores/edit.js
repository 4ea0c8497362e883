// The image the Edit screen works on (set from a result, the gallery or a local file).
import { signal } from "../lib.js";

export const editSource = signal(null); // {url, filename, name}
