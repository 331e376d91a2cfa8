// The worker's API (docs/api.md): entries, validation, the live stream.

export interface Endpoint {
  ip: string;
  port: number;
  // Known only when the worker can tell (Kubernetes, eBPF).
  name?: string;
  namespace?: string;
  node?: string;
  pid?: number;
  process?: string;
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
}

export interface QueryError {
  error: string;
  line: number;
  column: number;
}

export async function validate(q: string): Promise<QueryError | null> {
  const res = await fetch(`api/validate?q=${encodeURIComponent(q)}`);
  if (!res.ok) throw new Error(`validate: HTTP ${res.status}`);
  const body = await res.json();
  return body.valid ? null : (body as QueryError);
}

export async function fetchEntries(q: string, limit: number): Promise<Entry[]> {
  const res = await fetch(`api/entries?limit=${limit}&q=${encodeURIComponent(q)}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.entries as Entry[];
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
