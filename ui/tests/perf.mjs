// The dashboard under a live stream of at least 5,000 entries a second for 30 s:
// nginx on loopback driven by wrk, `trawl capture -i lo`, the page open on the
// stream in Debian's chromium. Records long tasks, frame times, the JS heap and
// how long a click takes to open an entry, and prints them as markdown.
// Usage: node tests/perf.mjs TRAWL [SECONDS] [ROWS KEPT, default 20000]
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import os from "node:os";

const trawl = path.resolve(process.argv[2]);
const seconds = Number(process.argv[3] ?? 30);
const cap = Number(process.argv[4] ?? 20000);
const work = mkdtempSync(path.join(os.tmpdir(), "trawl-ui-perf-"));
execFileSync("chmod", ["755", work]);
mkdirSync(`${work}/www`);
writeFileSync(`${work}/www/a.json`, JSON.stringify({ ok: true, items: [1, 2, 3] }));
// wrk waits 1 ms between a connection's requests: 8 connections make over 5,000 calls a second.
writeFileSync(`${work}/pace.lua`, "function delay() return 1 end\n");
writeFileSync(`${work}/nginx.conf`, `
user root; worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi; uwsgi_temp_path ${work}/uwsgi; scgi_temp_path ${work}/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:18981; root ${work}/www; } }`);
execFileSync("nginx", ["-c", `${work}/nginx.conf`]);
const worker = spawn(trawl, ["capture", "-i", "lo", "--filter-bpf", "tcp port 18981", "--threads", "1",
                             "--port", "18980", "--data-dir", `${work}/data`, "--no-packets"],
                     { stdio: "ignore" });
const stats = async () => (await fetch("http://127.0.0.1:18980/api/stats")).json();
try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch("http://127.0.0.1:18980/healthz")).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-precise-memory-info"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => {
    window.__perf = { longTasks: [], frames: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__perf.longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
    let last = performance.now();
    const tick = (t) => {
      window.__perf.frames.push(t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto(`http://127.0.0.1:18980/?q=http&cap=${cap}`);
  await page.getByTestId("stream-status").filter({ hasText: "live" }).waitFor({ timeout: 10000 });
  await page.evaluate(() => { window.__perf.longTasks = []; window.__perf.frames = []; });
  const heapBefore = await page.evaluate(() => performance.memory.usedJSHeapSize);
  const before = await stats();
  const wrk = spawn("wrk", ["-t1", "-c8", `-d${seconds}s`, "-s", `${work}/pace.lua`, "http://127.0.0.1:18981/a.json"],
                    { stdio: "ignore" });
  const wrkDone = new Promise((r) => wrk.on("exit", r));
  // Clicks during the load: time from the click to the detail being shown.
  const clicks = [];
  const heap = [];
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    await page.waitForTimeout(3000);
    // A mouse click where the fourth row is: rows move as entries arrive, so
    // waiting for one to hold still would measure the stream, not the page.
    await page.getByRole("button", { name: "Close" }).click({ force: true, timeout: 1000 }).catch(() => {});
    const t0 = Date.now();
    await page.mouse.click(300, 44 + 26 + 28 * 3 + 14);
    await page.getByTestId("detail").waitFor();
    clicks.push(Date.now() - t0);
    heap.push(await page.evaluate(() => performance.memory.usedJSHeapSize));
  }
  await wrkDone;
  await page.waitForTimeout(1000);
  const after = await stats();
  const perf = await page.evaluate(() => window.__perf);
  const rows = Number(await page.getByTestId("stream-status").getAttribute("data-rows"));
  await browser.close();
  const entries = (after.entries.by_protocol.http ?? 0) - (before.entries.by_protocol.http ?? 0);
  const frames = perf.frames.slice().sort((a, b) => a - b);
  const pct = (a, p) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))] ?? 0;
  const mib = (b) => (b / 1048576).toFixed(1);
  console.log(`| measure | value |`);
  console.log(`|---|---|`);
  console.log(`| HTTP entries captured in ${seconds} s | ${entries} (${Math.round(entries / seconds)}/s) |`);
  console.log(`| entries skipped for the page (it fell behind) | ${after.stream.skipped} |`);
  console.log(`| rows held by the page at the end (cap ${cap.toLocaleString("en")}) | ${rows} |`);
  console.log(`| long tasks (> 50 ms) | ${perf.longTasks.length}, ${Math.round(perf.longTasks.reduce((a, b) => a + b, 0))} ms in all, longest ${Math.round(Math.max(0, ...perf.longTasks))} ms |`);
  console.log(`| frame time p50 / p95 / max | ${pct(frames, 50).toFixed(1)} / ${pct(frames, 95).toFixed(1)} / ${frames.at(-1).toFixed(1)} ms over ${frames.length} frames |`);
  console.log(`| click on a row to detail shown (${clicks.length} clicks) | median ${pct(clicks.slice().sort((a, b) => a - b), 50)} ms, max ${Math.max(...clicks)} ms |`);
  console.log(`| JS heap before / during (max) / after | ${mib(heapBefore)} / ${mib(Math.max(...heap))} / ${mib(heap.at(-1))} MiB |`);
  console.log(`| kernel drops / TCP gaps | ${after.live.kernel_drops} / ${after.loss.tcp_gaps} |`);
} finally {
  worker.kill("SIGTERM");
  try { execFileSync("kill", [execFileSync("cat", [`${work}/nginx.pid`]).toString().trim()]); } catch {}
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
