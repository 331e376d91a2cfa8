// Names for addresses, for the stream and the map: the worker's own (a pod or
// service name, with its namespace) when the entry has one; else the DNS name
// the worker learned, or one a DNS answer in view gave; else the address.
import type { Endpoint, Entry } from "./api";

export type NameBook = Map<string, string>;

// Address -> the name the client asked for (the question, not the CNAME target).
export function learnNames(rows: Entry[]): NameBook {
  const book: NameBook = new Map();
  // Oldest first, so the newest answer for an address wins.
  for (let i = rows.length - 1; i >= 0; i--) {
    const e = rows[i];
    if (e.protocol.name !== "dns" || !e.response) continue;
    const asked = (e.request.questions as { name?: string }[] | undefined)?.[0]?.name;
    const answers = e.response.answers as { type?: string; data?: string }[] | undefined;
    if (!asked || !Array.isArray(answers)) continue;
    for (const a of answers) if ((a.type === "A" || a.type === "AAAA") && a.data) book.set(a.data, asked);
  }
  return book;
}

function host(ep: Endpoint, book?: NameBook): string {
  if (ep.name) return ep.namespace ? `${ep.namespace}/${ep.name}` : ep.name;
  if (ep.dns) return ep.dns;
  const named = book?.get(ep.ip);
  if (named) return named;
  return ep.ip.includes(":") ? `[${ep.ip}]` : ep.ip;
}

// "name:port" or "ip:port" (no port for ICMP).
export function endpointLabel(ep: Endpoint, book?: NameBook): string {
  const h = host(ep, book);
  return ep.port ? `${h}:${ep.port}` : h;
}

// The host alone (a client is the same client whatever its source port).
export function hostLabel(ep: Endpoint, book?: NameBook): string {
  return host(ep, book);
}

// The namespace, for grouping; addresses outside the cluster group by host.
export function namespaceLabel(ep: Endpoint, book?: NameBook): string {
  return ep.namespace ? `ns/${ep.namespace}` : `host ${host({ ...ep, name: undefined }, book)}`;
}

// The workload (namespace/Deployment name, ...); a pod or address without one
// stands for itself.
export function workloadLabel(ep: Endpoint, book?: NameBook): string {
  if (ep.workload) return ep.namespace ? `${ep.namespace}/${ep.workload.name}` : ep.workload.name;
  return host(ep, book);
}

// Whether any entry in view carries Kubernetes identity.
export function hasIdentity(rows: { src: Endpoint; dst: Endpoint }[]): boolean {
  return rows.some((e) => e.src.kind !== undefined || e.dst.kind !== undefined);
}
