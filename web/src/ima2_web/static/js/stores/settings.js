// Settings data: key status, provider sign-in status, quota/billing, Grok planner model.
import { api } from "../api.js";
import { signal } from "../lib.js";

export const keys = signal(null);
export const accounts = signal({}); // {oauth, grok, agy}
export const quota = signal(null);
export const billing = signal(null);
export const planner = signal(null);
export const loadErrors = signal({});

async function settle(name, call, target) {
  try {
    target.value = await call();
    loadErrors.value = { ...loadErrors.value, [name]: null };
  } catch (err) {
    loadErrors.value = { ...loadErrors.value, [name]: err };
  }
}

export const loadKeys = () => settle("keys", api.keysStatus, keys);

export async function loadAccounts() {
  const [oauth, grok, agy] = await Promise.allSettled([api.oauthStatus(), api.grokStatus(), api.agyStatus()]);
  const value = (r) => (r.status === "fulfilled" ? r.value : { status: "error", reason: r.reason?.message });
  accounts.value = { oauth: value(oauth), grok: value(grok), agy: value(agy) };
}

export function loadAll() {
  loadKeys();
  loadAccounts();
  settle("quota", api.quota, quota);
  settle("billing", api.billing, billing);
  settle("planner", api.grokPlanner, planner);
}
