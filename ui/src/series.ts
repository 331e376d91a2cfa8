// Calls, error rate and latency percentiles over time, from the entries in view.
import type { Entry } from "./api";
import { isError } from "./summary";

export interface Bucket {
  start: number; // ms since epoch
  calls: number;
  errors: number;
  latency: Record<string, { p50: number; p95: number }>; // by protocol abbreviation
}

export interface Series {
  width: number; // bucket width in ms
  buckets: Bucket[];
  protocols: string[]; // with latencies, most calls first
}

const WIDTHS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400].map((s) => s * 1000);

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const isFlow = (e: Entry) => ["tcp", "udp", "sctp"].includes(e.protocol.name);

// The narrowest bucket that fits the span in maxBuckets; empty buckets are kept
// so that quiet periods show as zero.
export function timeSeries(rows: Entry[], maxBuckets = 60): Series {
  const calls = rows.filter((e) => !isFlow(e));
  if (!calls.length) return { width: WIDTHS[0], buckets: [], protocols: [] };
  let lo = Infinity, hi = -Infinity;
  for (const e of calls) {
    lo = Math.min(lo, e.timestamp);
    hi = Math.max(hi, e.timestamp);
  }
  const width = WIDTHS.find((w) => Math.floor(hi / w) - Math.floor(lo / w) + 1 <= maxBuckets) ?? WIDTHS[WIDTHS.length - 1];
  const first = Math.floor(lo / width);
  const n = Math.floor(hi / width) - first + 1;
  const acc = Array.from({ length: n }, (_, i) => ({
    start: (first + i) * width, calls: 0, errors: 0, lat: new Map<string, number[]>(),
  }));
  const perProtocol = new Map<string, number>();
  for (const e of calls) {
    const b = acc[Math.floor(e.timestamp / width) - first];
    b.calls++;
    if (isError(e)) b.errors++;
    if (e.response) {
      const p = e.protocol.abbr;
      let l = b.lat.get(p);
      if (!l) b.lat.set(p, (l = []));
      l.push(e.elapsedTime);
      perProtocol.set(p, (perProtocol.get(p) ?? 0) + 1);
    }
  }
  const buckets = acc.map((b) => {
    const latency: Bucket["latency"] = {};
    for (const [p, l] of b.lat) {
      l.sort((x, y) => x - y);
      latency[p] = { p50: percentile(l, 50), p95: percentile(l, 95) };
    }
    return { start: b.start, calls: b.calls, errors: b.errors, latency };
  });
  const protocols = [...perProtocol.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([p]) => p);
  return { width, buckets, protocols };
}
