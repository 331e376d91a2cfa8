// How a request or response body is shown: pretty-printed by its type (JSON,
// form, XML/HTML, text), protobuf as decoded, and binary as a hex dump. Also the
// headers' derived views: query string and cookies.

export type BodyKind = "json" | "form" | "xml" | "text" | "protobuf" | "hex";

export interface BodyView {
  kind: BodyKind;
  text: string; // pretty text (json, xml, text, protobuf, hex)
  pairs?: [string, string][]; // form fields
  size?: number; // decoded size, when the entry says
  truncated: boolean;
}

type Message = Record<string, unknown>;

function header(msg: Message, name: string): string | undefined {
  const headers = msg.headers as Record<string, unknown> | undefined;
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return String(v);
  return undefined;
}

export function bodyView(msg: Message): BodyView | null {
  const truncated = msg.bodyTruncated === true;
  const size = typeof msg.bodySize === "number" ? msg.bodySize : undefined;
  if (Array.isArray(msg.messages) && msg.messages.length)
    return { kind: "protobuf", text: JSON.stringify(msg.messages, null, 2), size, truncated };
  if (typeof msg.bodyBase64 === "string" && msg.bodyBase64)
    return { kind: "hex", text: hexDump(fromBase64(msg.bodyBase64)), size, truncated };
  if (typeof msg.body !== "string" || msg.body === "") return null;
  const body = msg.body;
  const type = (header(msg, "content-type") ?? "").toLowerCase();
  if (type.includes("json") || (!type && /^\s*[[{]/.test(body))) {
    try {
      return { kind: "json", text: JSON.stringify(JSON.parse(body), null, 2), size, truncated };
    } catch {
      // A cut or broken JSON body is shown as it is.
    }
  }
  if (type.startsWith("application/x-www-form-urlencoded"))
    return { kind: "form", text: body, pairs: [...new URLSearchParams(body).entries()], size, truncated };
  if (type.includes("xml") || type.includes("html") || (!type && /^\s*<[?!a-zA-Z]/.test(body)))
    return { kind: "xml", text: formatXml(body), size, truncated };
  return { kind: "text", text: body, size, truncated };
}

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// 16 bytes a line: offset, hex, printable ASCII (as xxd shows it).
export function hexDump(bytes: Uint8Array, limit = 64 * 1024): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, limit);
  for (let off = 0; off < n; off += 16) {
    const chunk = bytes.subarray(off, Math.min(off + 16, n));
    let hex = "";
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      if (i < chunk.length) {
        hex += chunk[i].toString(16).padStart(2, "0");
        ascii += chunk[i] >= 0x20 && chunk[i] < 0x7f ? String.fromCharCode(chunk[i]) : ".";
      } else hex += "  ";
      if (i % 2 === 1) hex += " ";
    }
    lines.push(`${off.toString(16).padStart(8, "0")}: ${hex} ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join("\n");
}

// HTML elements that have no closing tag.
const VOID = /^<(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\b/i;

// One element a line, indented by depth; text and comments kept as they are.
export function formatXml(xml: string): string {
  const tokens = xml.split(/(<[^>]*>)/).map((t) => t.trim()).filter((t) => t !== "");
  const out: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith("</")) {
      depth = Math.max(0, depth - 1);
      out.push("  ".repeat(depth) + t);
    } else if (t.startsWith("<") && !t.startsWith("<?") && !t.startsWith("<!") && !t.endsWith("/>") && !VOID.test(t)) {
      // <a>text</a> stays on one line.
      if (i + 2 < tokens.length && !tokens[i + 1].startsWith("<") && tokens[i + 2].startsWith("</")) {
        out.push("  ".repeat(depth) + t + tokens[i + 1] + tokens[i + 2]);
        i += 2;
        continue;
      }
      out.push("  ".repeat(depth) + t);
      depth++;
    } else {
      out.push("  ".repeat(depth) + t);
    }
  }
  return out.join("\n");
}

// Request cookies ("a=1; b=2") and response cookies (Set-Cookie, repeated
// headers joined with ", "), as name -> value with the attributes kept.
export function cookies(msg: Message, side: "request" | "response"): [string, string][] {
  if (side === "request") {
    const raw = header(msg, "cookie");
    if (!raw) return [];
    return raw.split(/;\s*/).filter(Boolean).map((c) => split(c));
  }
  const raw = header(msg, "set-cookie");
  if (!raw) return [];
  // A comma starts a new cookie only when a "name=" follows (Expires holds commas).
  return raw.split(/,\s*(?=[^;,=\s]+=)/).map((c) => {
    const [first, ...attrs] = c.split(/;\s*/);
    const [name, value] = split(first);
    return [name, attrs.length ? `${value} (${attrs.join("; ")})` : value];
  });
}

function split(pair: string): [string, string] {
  const eq = pair.indexOf("=");
  return eq < 0 ? [pair.trim(), ""] : [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
}

// queryString values are a string, or a list when the name repeats.
export function queryPairs(msg: Message): [string, string][] {
  const qs = msg.queryString as Record<string, string | string[]> | undefined;
  if (!qs || typeof qs !== "object") return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(qs)) for (const one of Array.isArray(v) ? v : [v]) out.push([k, String(one)]);
  return out;
}
