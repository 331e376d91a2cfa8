// Completion of the KFL word under the cursor: field paths segment by segment,
// protocol macros, keywords, functions and selector methods.
import type { Entry } from "./api";

export interface Completion {
  from: number; // the word being completed is text.slice(from, to)
  to: number;
  options: string[];
}

const MACROS = [
  "http", "http2", "grpc", "graphql", "gql", "websocket", "ws", "amqp", "kafka", "redis", "ldap", "dns", "icmp",
  "tls", "tcp", "udp", "sctp",
];
const KEYWORDS = ["and", "or", "not", "in", "true", "false", "nil"];
const FUNCTIONS = ["now()", "seconds(", "minutes(", "hours(", "days(", "datetime(\"", "limit(", "redact(\"", "has("];
const METHODS = ["startsWith(\"", "endsWith(\"", "contains(\"", "matches(\"", "size()", "json()"];

// The entry fields every protocol has (entry.md).
const COMMON_FIELDS = [
  "id", "protocol.name", "protocol.abbr", "protocol.version", "protocol.layer4",
  "src.ip", "src.port", "src.name", "src.namespace", "src.node", "src.pid", "src.process",
  "src.kind", "src.workload.name", "src.workload.kind", "src.labels", "src.services", "src.dns",
  "dst.ip", "dst.port", "dst.name", "dst.namespace", "dst.node", "dst.pid", "dst.process",
  "dst.kind", "dst.workload.name", "dst.workload.kind", "dst.labels", "dst.services", "dst.dns",
  "node.name", "timestamp", "elapsedTime", "requestSize", "responseSize", "stream", "tls", "error",
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

// The KFL selector of `key` under `base`: .name, or ["name"] when it is not an identifier.
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return IDENT.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

// Field paths found in the entries (request./response., three levels deep);
// names that are not identifiers are written as ["name"].
export function fieldsOf(rows: Entry[], sample = 300): string[] {
  const found = new Set<string>(COMMON_FIELDS);
  const walk = (v: unknown, path: string, depth: number) => {
    if (!v || typeof v !== "object" || Array.isArray(v) || depth > 3) return;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const p = fieldPath(path, k);
      found.add(p);
      walk(child, p, depth + 1);
    }
  };
  for (const e of rows.slice(0, sample)) {
    walk(e.request, "request", 1);
    walk(e.response, "response", 1);
  }
  return [...found].sort();
}

// Inside a string literal nothing is offered.
function inString(text: string, cursor: number): boolean {
  let open = false;
  for (let i = 0; i < cursor; i++) {
    if (text[i] === "\\" && open) i++;
    else if (text[i] === '"') open = !open;
  }
  return open;
}

export function complete(text: string, cursor: number, fields: string[], limit = 12): Completion {
  let from = cursor;
  while (from > 0 && /[A-Za-z0-9_.\[\]"\-]/.test(text[from - 1])) from--;
  // A quote belongs to the word only inside brackets (request.headers["x-a).
  while (text[from] === '"' && from < cursor) from++;
  let to = cursor;
  while (to < text.length && /[A-Za-z0-9_]/.test(text[to])) to++;
  const word = text.slice(from, cursor);
  const none = { from, to, options: [] };
  if (!word || inString(text, from)) return none;
  const options = new Set<string>();
  // Fields: complete to the end of the next segment, not the whole path.
  for (const f of fields) {
    if (!f.startsWith(word) || f === word) continue;
    const rest = f.slice(word.length);
    const cut = rest.slice(1).search(/[.[]/);
    options.add(cut < 0 ? f : word + rest.slice(0, cut + 1));
  }
  // Methods after a known path: request.path.st -> request.path.startsWith("
  const dot = word.lastIndexOf(".");
  if (dot > 0 && fields.includes(word.slice(0, dot))) {
    const partial = word.slice(dot + 1);
    for (const m of METHODS) if (m.startsWith(partial)) options.add(word.slice(0, dot + 1) + m);
  }
  if (dot < 0)
    for (const w of [...MACROS, ...KEYWORDS, ...FUNCTIONS]) if (w.startsWith(word) && w !== word) options.add(w);
  return { from, to, options: [...options].sort(byRelevance(word)).slice(0, limit) };
}

// Shorter first (the next segment before deeper paths), then alphabetical.
function byRelevance(word: string) {
  return (a: string, b: string) => {
    const da = depth(a) - depth(word), db = depth(b) - depth(word);
    return da - db || a.length - b.length || a.localeCompare(b);
  };
}

function depth(path: string): number {
  return path.split(/[.[]/).length;
}

export function applyCompletion(text: string, c: Completion, option: string): { text: string; cursor: number } {
  return { text: text.slice(0, c.from) + option + text.slice(c.to), cursor: c.from + option.length };
}
