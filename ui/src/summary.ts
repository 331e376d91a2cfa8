// One-line summary and status of an entry, per protocol (as the CLI table has them).
import type { Entry } from "./api";

const str = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

export function summary(e: Entry): string {
  const q = e.request;
  switch (e.protocol.name) {
    case "http":
    case "http2":
    case "graphql":
      return q.method ? `${str(q.method)} ${str(q.url)}` : "(response only)";
    case "grpc":
      return `${str(q.service)}/${str(q.rpc)}`;
    case "redis":
      return `${str(q.command)} ${str(q.key)}`.trim();
    case "kafka":
      return `${str(q.apiKeyName)} ${Array.isArray(q.topics) ? q.topics.join(",") : ""}`.trim();
    case "amqp":
      return `${str(q.method)} ${str(q.queue ?? q.exchange ?? "")}`.trim();
    case "dns": {
      const qs = q.questions as { name?: string; type?: string }[] | undefined;
      return qs?.length ? `${qs[0].type ?? ""} ${qs[0].name ?? ""}` : "";
    }
    case "ldap":
      return `${str(q.operation)} ${str(q.baseObject ?? q.name ?? "")}`.trim();
    case "websocket":
      return `${str(q.direction)} ${str(q.opcode)} ${str(q.payload).slice(0, 60)}`;
    default:
      return str(q.state ?? q.typeName ?? q.serverName ?? "");
  }
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
