// One-line summary (the worker's) and status of an entry.
import type { Entry } from "./api";

const str = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

// The worker makes it (entries/summary.cpp), the same text as the CLI table.
export function summary(e: Entry): string {
  return e.summary ?? "";
}

export function status(e: Entry): { text: string; kind: "ok" | "warn" | "bad" | "none" } {
  const r = e.response;
  if (!r) return { text: e.error ?? "-", kind: e.error ? "warn" : "none" };
  if (typeof r.status === "number") {
    const s = r.status as number;
    return { text: String(s), kind: s >= 500 ? "bad" : s >= 400 ? "warn" : "ok" };
  }
  if (r.type === "error" || (typeof r.errorCode === "number" && r.errorCode !== 0))
    return { text: str(r.errorName ?? r.type), kind: "bad" };
  if (typeof r.rcodeName === "string") return { text: r.rcodeName, kind: r.rcodeName === "NOERROR" ? "ok" : "warn" };
  if (typeof r.resultName === "string") return { text: r.resultName, kind: r.resultName === "success" ? "ok" : "bad" };
  return { text: str(r.type ?? r.method ?? "ok"), kind: "ok" };
}

// An error or a warning (5xx/4xx, an error reply, NXDOMAIN, an incomplete entry).
export function isError(e: Entry): boolean {
  const k = status(e).kind;
  return k === "bad" || k === "warn";
}
