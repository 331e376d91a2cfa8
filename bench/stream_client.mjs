// The dashboard's live stream, as the dashboard opens it (a WebSocket to
// /api/stream with the calls-only query), counting what arrives: entries,
// the skipped totals the server reports, per second the entries received, and
// the CPU it used itself. Prints one JSON line when stopped (SIGTERM).
// Usage: node stream_client.mjs URL TOKEN
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.resolve(path.dirname(new URL(import.meta.url).pathname), "../ui/package.json"));
const WebSocket = require("ws");

const [url, token] = process.argv.slice(2);
const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/stream?access_token=${encodeURIComponent(token)}`);
let entries = 0, skipped = 0, started = 0;
const perSecond = [];
let second = 0;
ws.on("open", () => ws.send("not (tcp or udp or sctp)"));
ws.on("message", (data) => {
  const text = data.toString();
  if (text.startsWith('{"control"')) {
    const c = JSON.parse(text).control;
    if (c.skipped !== undefined) skipped = c.skipped;
    if (c.query !== undefined && !started) {
      started = Date.now();
      process.stdout.write("listening\n");
      setInterval(() => { perSecond.push(entries - second); second = entries; }, 1000);
    }
    return;
  }
  entries++;
});
process.on("SIGTERM", () => {
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ entries, skipped, seconds: (Date.now() - started) / 1000, perSecond,
                               cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
  process.exit(0);
});
ws.on("error", (e) => {
  console.error(`stream: ${e.message}`);
  process.exit(1);
});
