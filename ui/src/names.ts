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

// "east: " when the view spans clusters.
function inCluster(ep: Endpoint): string {
  return ep.cluster ? `${ep.cluster}: ` : "";
}

function host(ep: Endpoint, book?: NameBook): string {
  if (ep.name) return inCluster(ep) + (ep.namespace ? `${ep.namespace}/${ep.name}` : ep.name);
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
  return ep.namespace ? `${inCluster(ep)}ns/${ep.namespace}` : `host ${host({ ...ep, name: undefined }, book)}`;
}

// The workload (namespace/Deployment name, ...); a pod or address without one
// stands for itself.
export function workloadLabel(ep: Endpoint, book?: NameBook): string {
  if (ep.workload) return inCluster(ep) + (ep.namespace ? `${ep.namespace}/${ep.workload.name}` : ep.workload.name);
  return host(ep, book);
}

// Whether any entry in view carries Kubernetes identity.
export function hasIdentity(rows: { src: Endpoint; dst: Endpoint }[]): boolean {
  return rows.some((e) => e.src.kind !== undefined || e.dst.kind !== undefined);
}

// Entries of several clusters (a hub over hubs): each side is marked with the
// cluster that names it. A cluster's worker cannot name another cluster's pod:
// an address it leaves unnamed takes the names another cluster's entries give
// it (the same address named there), so a call between two captured clusters
// reads the same from both. Clusters' pod ranges often overlap (every cluster
// made with the same defaults): an address the entry's own cluster names
// elsewhere, or that two other clusters name, is that cluster's own or
// ambiguous, and keeps what its entry says. Rows of one cluster come back as
// they are.
export function acrossClusters(rows: Entry[]): Entry[] {
  const clusters = new Set(rows.map((e) => e.cluster?.name).filter((c) => c));
  if (clusters.size < 2) return rows;
  const known = new Map<string, Map<string, Endpoint>>(); // ip -> cluster -> its names
  for (const e of rows) {
    const c = e.cluster?.name;
    if (!c) continue;
    for (const ep of [e.src, e.dst]) {
      if (!ep.name) continue;
      if (!known.has(ep.ip)) known.set(ep.ip, new Map());
      const byCluster = known.get(ep.ip)!;
      if (!byCluster.has(c)) byCluster.set(c, { ...ep, cluster: c });
    }
  }
  const side = (ep: Endpoint, c: string | undefined): Endpoint => {
    if (ep.name) return c ? { ...ep, cluster: c } : ep;
    const byCluster = known.get(ep.ip);
    if (!byCluster || byCluster.size !== 1 || (c && byCluster.has(c))) return ep;
    const other = [...byCluster.values()][0];
    return { ...other, ip: ep.ip, port: ep.port, borrowed: true };
  };
  return rows.map((e) => ({ ...e, src: side(e.src, e.cluster?.name), dst: side(e.dst, e.cluster?.name) }));
}
