// Entries shaped as the worker's API returns them (entry.md), for component tests.
import type { Entry } from "../../src/api";

let next = 1;

export function entry(over: Partial<Entry> & Pick<Entry, "protocol" | "request">): Entry {
  const id = String(next++);
  return {
    id,
    src: { ip: "10.0.0.2", port: 40000 + next },
    dst: { ip: "10.0.0.1", port: 80 },
    timestamp: Date.UTC(2026, 10, 27, 12, 0, 0),
    elapsedTime: 1,
    requestSize: 10,
    responseSize: 20,
    stream: id,
    tls: false,
    ...over,
  };
}

export const HTTP = { name: "http", abbr: "HTTP", version: "1.1", layer4: "tcp" };
export const DNS = { name: "dns", abbr: "DNS", version: "", layer4: "udp" };
export const REDIS = { name: "redis", abbr: "REDIS", version: "2", layer4: "tcp" };
export const TCP = { name: "tcp", abbr: "TCP", version: "", layer4: "tcp" };

export function http(method: string, url: string, status: number, over: Partial<Entry> = {}): Entry {
  return entry({
    protocol: HTTP,
    request: { method, url, path: url.split("?")[0], headers: { host: "web" } },
    response: { status, statusText: "", headers: {} },
    summary: `${method} ${url}`,  // made by the worker (entries/summary.cpp)
    ...over,
  });
}

export function dnsAnswer(name: string, ip: string, over: Partial<Entry> = {}): Entry {
  return entry({
    protocol: DNS,
    src: { ip: "10.0.0.2", port: 5353 },
    dst: { ip: "10.0.0.53", port: 53 },
    request: { questions: [{ name, type: "A", class: "IN" }] },
    response: { rcodeName: "NOERROR", answers: [{ name, type: "A", class: "IN", ttl: 5, data: ip }] },
    ...over,
  });
}
