// The worker's API (docs/api.md): entries, validation, the live stream.

export interface Endpoint {
  ip: string;
  port: number;
  // Known only when the worker can tell (Kubernetes, eBPF).
  name?: string;
  namespace?: string;
  kind?: string;  // pod, service, node, external
  workload?: { kind: string; name: string };
  labels?: Record<string, string>;
  services?: string[];
  dns?: string;  // the name a DNS answer the worker saw gave the address
  node?: string;
  pid?: number;
  process?: string;
  // Set by the dashboard when the view spans clusters (names.ts acrossClusters):
  // the cluster whose names these are, and whether they were borrowed from
  // another cluster's entries (its worker could not name the address).
  cluster?: string;
  borrowed?: boolean;
}

export interface Entry {
  id: string;
  protocol: { name: string; abbr: string; version: string; layer4: string };
  src: Endpoint;
  dst: Endpoint;
  timestamp: number;
  elapsedTime: number;
  request: Record<string, unknown>;
  response?: Record<string, unknown>;
  requestSize: number;
  responseSize: number;
  stream: string;
  tls: boolean;
  error?: string;
  summary?: string;  // the one-line summary the worker makes (the CLI table's)
  node?: { name: string };  // the node whose worker captured it
  cluster?: { name: string };  // the cluster it was captured in
}

export interface QueryError {
  error: string;
  line: number;
  column: number;
}

// A worker started with a token (docs/security.md) asks for it: the dashboard
// keeps it for this tab only and sends it as a header (on the live stream, which
// cannot take headers, as ?access_token=).
const TOKEN_KEY = "trawl.token";

export class NeedsToken extends Error {
  constructor() {
    super("this worker needs its token");
  }
}

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(t: string) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function apiFetch(url: string): Promise<Response> {
  const t = token();
  const res = await fetch(url, t ? { headers: { Authorization: `Bearer ${t}` } } : undefined);
  if (res.status === 401) throw new NeedsToken();
  return res;
}

export async function validate(q: string): Promise<QueryError | null> {
  const res = await apiFetch(`api/validate?q=${encodeURIComponent(q)}`);
  if (!res.ok) throw new Error(`validate: HTTP ${res.status}`);
  const body = await res.json();
  return body.valid ? null : (body as QueryError);
}

export interface Page {
  entries: Entry[];
  // Set when the worker stopped the query at its deadline: the newest entries found so far.
  partial?: string;
}

export async function fetchEntries(q: string, limit: number): Promise<Page> {
  const res = await apiFetch(`api/entries?limit=${limit}&q=${encodeURIComponent(q)}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return { entries: body.entries as Entry[], partial: body.partial ? body.error : undefined };
}

// Saves an entry's pcap (with the token, which a plain link cannot send).
export async function downloadPcap(id: string) {
  const res = await apiFetch(`api/entries/${id}/pcap`);
  if (!res.ok) throw new Error((await res.json()).error ?? `HTTP ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `trawl-${id}.pcap`;
  a.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// The live stream: calls onEntry for each matching entry; reconnects when the
// connection drops. Returns a function that closes it.
export function openStream(
  q: string,
  onEntry: (e: Entry) => void,
  onStatus: (status: string) => void,
): () => void {
  let socket: WebSocket | null = null;
  let closed = false;
  let retry: number | undefined;
  const connect = () => {
    const url = new URL("api/stream", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (token()) url.searchParams.set("access_token", token());
    socket = new WebSocket(url);
    socket.onopen = () => socket?.send(q);
    socket.onmessage = (m) => {
      const msg = JSON.parse(m.data as string);
      if (msg.control) {
        if (msg.control.error) onStatus(`stream: ${msg.control.error}`);
        else if (msg.control.skipped) onStatus(`stream: ${msg.control.skipped} entries skipped (too fast)`);
        else onStatus("live");
        return;
      }
      onEntry(msg as Entry);
    };
    socket.onclose = () => {
      if (closed) return;
      onStatus("stream disconnected: retrying");
      retry = window.setTimeout(connect, 1000);
    };
  };
  connect();
  return () => {
    closed = true;
    window.clearTimeout(retry);
    socket?.close();
  };
}
