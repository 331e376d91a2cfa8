// Pages of other origins, in Debian's chromium, try to read a worker that has
// no token: with fetch (CORS and no-cors), the live stream, a <script> tag,
// and DNS rebinding (a name of the attacker's that now resolves to the
// worker). They must read nothing. The same page served by the worker itself
// reads entries: the control that shows the page would notice a read.
// Prints one JSON object: what each page could read.
// Usage: node origin.mjs WORKER_PORT FOREIGN_PORT REPO UI_DIR (the worker's --ui-dir)
import { writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

const [workerPort, foreignPort, repo, uiDir] = process.argv.slice(2);
const require = createRequire(path.join(repo, "ui", "package.json"));
const { chromium } = require("playwright-core");

// The attack, as a page: what it managed to read, in window.stolen.
const attack = (target) => `<!doctype html><script>
window.stolen = (async () => {
  const out = {};
  try {
    const r = await fetch("${target}/api/entries?limit=5");
    out.fetch = (await r.text()).slice(0, 200);
  } catch (e) { out.fetch = "error"; }
  try {
    const r = await fetch("${target}/api/entries?limit=5", { mode: "no-cors" });
    out.noCors = (await r.text()).length;
  } catch (e) { out.noCors = "error"; }
  out.stream = await new Promise((resolve) => {
    const got = [];
    let ws;
    try { ws = new WebSocket("${target.replace("http", "ws")}/api/stream"); } catch (e) { return resolve("error"); }
    ws.onopen = () => ws.send("http");
    ws.onmessage = (m) => got.push(String(m.data).slice(0, 80));
    ws.onerror = () => {};
    ws.onclose = () => resolve(got);
    setTimeout(() => { try { ws.close(); } catch (e) {} resolve(got); }, 2000);
  });
  out.script = await new Promise((resolve) => {
    const s = document.createElement("script");
    window.onerror = () => {};
    s.src = "${target}/api/entries?limit=5";
    s.onload = () => resolve("loaded");
    s.onerror = () => resolve("blocked");
    document.head.appendChild(s);
  });
  return out;
})();
</script>`;

writeFileSync(path.join(uiDir, "attack.html"), attack(`http://127.0.0.1:${workerPort}`));

const foreign = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end(attack(`http://127.0.0.1:${workerPort}`));
});
await new Promise((r) => foreign.listen(Number(foreignPort), "127.0.0.1", r));

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP evil.example 127.0.0.1, MAP rebind.example 127.0.0.1"],
});

async function read(url, route) {
  const page = await browser.newPage();
  if (route) await page.route(route.url, (r) => r.fulfill({ status: 200, contentType: "text/html", body: route.body }));
  await page.goto(url);
  const stolen = await page.evaluate(() => window.stolen);
  await page.close();
  return stolen;
}

const results = {
  // Another site: its own server, its own name.
  crossSite: await read(`http://evil.example:${foreignPort}/`),
  // Another port of the same host (same site, another origin).
  otherPort: await read(`http://127.0.0.1:${foreignPort}/`),
  // DNS rebinding: the attacker's page was served under rebind.example:<port>,
  // whose address now is the worker's; its requests are same-origin.
  rebinding: await read(`http://rebind.example:${workerPort}/`, {
    url: `http://rebind.example:${workerPort}/`,
    body: attack(`http://rebind.example:${workerPort}`),
  }),
  // The control: the same page from the worker's own origin.
  sameOrigin: await read(`http://127.0.0.1:${workerPort}/attack.html`),
};
await browser.close();
foreign.close();
console.log(JSON.stringify(results));
