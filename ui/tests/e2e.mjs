// End-to-end: Debian's chromium driven by playwright-core against a real trawl.
//  1. `trawl read fixtures/demo.pcap --serve`: the stream shows the capture's
//     entries, a KFL query filters them, an invalid one shows its error, a row
//     opens its detail with the right values, the pcap download is a capture
//     tshark reads.
//     With --names, pods are named by namespace and workload everywhere.
//  2. `trawl capture -i lo` while real HTTP requests are made: they arrive live.
// Screenshots go to ui/test-artifacts/. Any console error fails the test.
// Usage: node tests/e2e.mjs TRAWL
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, rmSync, mkdtempSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import os from "node:os";

const trawl = path.resolve(process.argv[2]);
const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, "../..");
const artifacts = path.resolve(here, "../test-artifacts");
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });

let checks = 0;
const failures = [];
function check(cond, what) {
  checks++;
  if (!cond) failures.push(what);
}

async function waitHealthy(port) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`trawl on ${port} did not come up`);
}

function start(args, port) {
  const child = spawn(trawl, [...args, "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  child.on("exit", (code) => code && console.error(`trawl ${args[0]} exited ${code}: ${err}`));
  return child;
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const consoleErrors = [];
async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  logFailedRequests(page);
  return page;
}
// The browser's console message for a failed request does not name it: say which.
function logFailedRequests(page) {
  page.on("requestfailed", (r) => console.log(`request failed: ${r.url()} (${r.failure()?.errorText})`));
}

// 1. A capture file served.
const offlinePort = 18970;
const offline = start(["read", path.join(repo, "fixtures/demo.pcap"), "--serve"], offlinePort);
try {
  await waitHealthy(offlinePort);
  const page = await newPage();
  await page.goto(`http://127.0.0.1:${offlinePort}/`);
  const rows = page.getByTestId("entry-row");
  await rows.first().waitFor({ timeout: 10000 });
  check((await rows.count()) > 10, `the stream shows the capture's entries (${await rows.count()} rows)`);
  await page.screenshot({ path: `${artifacts}/stream.png` });
  // API calls first: the L4 flow entries only when asked, and the URL keeps it.
  // (Rows are virtualised: the status line counts them all.)
  const stored = (await (await fetch(`http://127.0.0.1:${offlinePort}/api/entries?limit=1000`)).json()).entries;
  const isL4 = (e) => ["tcp", "udp", "sctp"].includes(e.protocol.name);
  const callCount = stored.filter((e) => !isL4(e)).length;
  const status = page.getByTestId("stream-status");
  const rowsHeld = async (n) => {
    await page.waitForFunction((n) => document.querySelector('[data-testid="stream-status"]')?.dataset.rows === String(n),
                               n, { timeout: 5000 }).catch(() => {});
    return Number(await status.getAttribute("data-rows"));
  };
  const badges = () => page.locator('[data-testid="entry-row"] .badge').allTextContents();
  const firstView = await rowsHeld(callCount);
  check(firstView === callCount && callCount < stored.length &&
        !(await badges()).some((b) => ["TCP", "UDP", "SCTP"].includes(b)),
        `the first view is the API calls: ${firstView} rows, ${callCount} calls of ${stored.length} entries`);
  // The summary is the worker's (the CLI table's), shown as is.
  const shownSummaries = await page.locator('[data-testid="entry-row"] .summary').allTextContents();
  const servedSummaries = stored.filter((e) => !isL4(e)).map((e) => e.summary);
  check(shownSummaries.length > 10 && servedSummaries.every((s) => typeof s === "string" && s) &&
        shownSummaries.every((s, i) => s === servedSummaries[i]),
        `rows show the served summaries: ${shownSummaries.slice(0, 3)} / ${servedSummaries.slice(0, 3)}`);
  const toggle = page.getByTestId("flows-toggle");
  await toggle.click();
  const withFlows = await rowsHeld(stored.length);
  check(withFlows === stored.length && page.url().includes("flows=1"), `L4 flows when asked: ${withFlows} rows, url ${page.url()}`);
  await page.reload();
  await rows.first().waitFor({ timeout: 10000 });
  check(await rowsHeld(stored.length) === stored.length, "the URL keeps the choice across a reload");
  await toggle.click();
  check(await rowsHeld(callCount) === callCount && !page.url().includes("flows="), "and hiding them again clears it");

  const filter = page.getByLabel("KFL filter");
  // Completion of the word at the cursor, from the fields of the entries in view.
  await filter.fill("http and requ");
  const completions = page.getByTestId("completions");
  await completions.waitFor({ timeout: 5000 });
  check((await completions.getByRole("option").allTextContents()).includes("request"), "field names are offered");
  await filter.press("Tab");
  await filter.pressSequentially(".he");
  check((await completions.getByRole("option").allTextContents()).includes("request.headers"),
        "the next segment of the path is offered");
  await page.screenshot({ path: `${artifacts}/completion.png` });
  await filter.press("Tab");
  check(await filter.inputValue() === "http and request.headers", `Tab completes: ${await filter.inputValue()}`);
  await filter.fill("http and");
  const alert = page.getByRole("alert");
  await alert.waitFor({ timeout: 5000 });
  check((await alert.textContent()).includes("1:9"), "an invalid query shows its position");
  await page.screenshot({ path: `${artifacts}/invalid-query.png` });

  await filter.fill("http and response.status == 404");
  await page.waitForTimeout(400);  // validation runs as you type
  await filter.press("Enter");
  await page.waitForFunction(() => {
    const r = document.querySelectorAll('[data-testid="entry-row"]');
    return r.length > 0 && [...r].every((x) => x.textContent.includes("404"));
  }, null, { timeout: 10000 });
  const filtered = await rows.allTextContents();
  check(filtered.length >= 1 && filtered.every((t) => t.includes("404")), `filtered rows are 404s: ${filtered}`);
  check(page.url().includes("q=http"), "the query is in the URL");

  await rows.filter({ hasText: "/missing" }).first().click();
  const detail = page.getByTestId("detail");
  await detail.waitFor({ timeout: 5000 });
  const request = JSON.parse(await page.getByTestId("request").textContent());
  const response = JSON.parse(await page.getByTestId("response").textContent());
  check(request.method === "GET" && request.url === "/missing", `detail request: ${request.method} ${request.url}`);
  check(response.status === 404, `detail response status ${response.status}`);
  await page.screenshot({ path: `${artifacts}/detail.png` });
  // A value clicked in the detail narrows the query to it.
  await detail.locator('button[data-path="request.method"]').click();
  check(await filter.inputValue() === 'http and response.status == 404 and request.method == "GET"',
        `clicking a value adds it to the query: ${await filter.inputValue()}`);

  const href = await page.getByRole("link", { name: "Download pcap" }).getAttribute("href");
  // The other requests of a keep-alive connection are listed.
  await filter.fill("http");
  await filter.press("Enter");
  await rows.filter({ hasText: "/nothing-here" }).first().click();
  const related = page.getByTestId("related");
  await related.getByRole("button").first().waitFor({ timeout: 5000 });
  const relatedTexts = await related.getByRole("button").allTextContents();
  check(relatedTexts.length === 3 && relatedTexts.some((t) => t.includes("GET /a.txt")) &&
        relatedTexts.some((t) => t.includes("GET /b.txt")) && relatedTexts.some((t) => t.includes("TCP closed")),
        `entries on the same connection (its requests and the TCP flow): ${relatedTexts}`);
  // A JSON body is pretty-printed; the query string is a table.
  await rows.filter({ hasText: "/index.json?x=1" }).first().click();
  await page.getByTestId("request-query").waitFor({ timeout: 5000 });
  check(await page.getByTestId("request-query").textContent() === "x1x3y2", "the query string as a table");
  const shownBody = page.getByTestId("response-body");
  const apiEntry = JSON.parse(await page.getByTestId("response").textContent());
  check(await shownBody.getAttribute("data-kind") === "json" &&
        (await shownBody.textContent()) === JSON.stringify(JSON.parse(apiEntry.body), null, 2),
        "the JSON body is pretty-printed");
  check((await page.getByTestId("response-headers").textContent()).includes("content-typeapplication/json"),
        "response headers as a table");
  await page.screenshot({ path: `${artifacts}/detail-body.png` });
  const pcap = Buffer.from(await (await fetch(new URL(href, page.url()))).arrayBuffer());
  const pcapFile = path.join(os.tmpdir(), `trawl-e2e-${process.pid}.pcap`);
  writeFileSync(pcapFile, pcap);
  const uris = execFileSync("tshark", ["-r", pcapFile, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri"],
                            { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  rmSync(pcapFile);
  check(uris === "/missing", `tshark reads the downloaded pcap: ${JSON.stringify(uris)}`);

  // The service map of every call in the capture, against the API's entries.
  await filter.fill("");
  await filter.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="entry-row"]').length > 10);
  const all = (await (await fetch(`http://127.0.0.1:${offlinePort}/api/entries?limit=1000`)).json()).entries;
  // Addresses are named from the capture's DNS answers (10.77.0.1 is web.trawl.test).
  const names = new Map();
  for (const e of [...all].reverse())
    for (const a of e.protocol.name === "dns" ? e.response?.answers ?? [] : [])
      if (a.type === "A") names.set(a.data, e.request.questions[0].name);
  check(names.get("10.77.0.1") === "web.trawl.test", "the capture names its server");
  const host = (ip) => names.get(ip) ?? ip;
  const expected = new Map();
  const hostPairs = new Set();
  for (const e of all) {
    if (["tcp", "udp", "sctp"].includes(e.protocol.name)) continue;
    const key = `${host(e.src.ip)} -> ${host(e.dst.ip)}${e.dst.port ? ":" + e.dst.port : ""}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
    hostPairs.add(`${host(e.src.ip)} -> ${host(e.dst.ip)}`);
  }
  await page.getByRole("button", { name: "Service map" }).click();
  await page.getByTestId("service-map").waitFor({ timeout: 5000 });
  const edges = page.getByTestId("map-edge");
  check((await edges.count()) === expected.size, `map edges ${await edges.count()} = pairs ${expected.size}`);
  const nodes = await page.getByTestId("map-node").allTextContents();
  for (const key of expected.keys()) {
    const [client, service] = key.split(" -> ");
    check(nodes.includes(client) && nodes.includes(service), `map nodes for ${key}`);
  }
  const labels = await edges.allTextContents();
  const web = expected.get("10.77.0.2 -> web.trawl.test:80");
  check(labels.some((l) => l.startsWith(`HTTP ${web} calls`)), `the nginx edge says ${web} calls: ${labels}`);
  await page.screenshot({ path: `${artifacts}/service-map.png` });
  await page.getByRole("button", { name: "host", exact: true }).click();
  await page.locator('[data-grouping="host"]').waitFor({ timeout: 5000 });
  check((await edges.count()) === hostPairs.size, `grouped by host: ${await edges.count()} edges = ${hostPairs.size}`);
  await page.screenshot({ path: `${artifacts}/service-map-hosts.png` });
  await page.getByRole("button", { name: "endpoint", exact: true }).click();
  await page.locator('[data-grouping="endpoint"]').waitFor({ timeout: 5000 });
  await edges.filter({ hasText: `HTTP ${web} calls` }).first().click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="entry-row"]').length > 0);
  const edgeRows = await rows.allTextContents();
  check(edgeRows.length === web && edgeRows.every((t) => t.includes("→ web.trawl.test:80")),
        `clicking the edge filters the stream to it (${edgeRows.length} rows)`);

  // The overview counts what /api/stats counts.
  await page.getByRole("button", { name: "Overview" }).click();
  await page.getByTestId("overview").waitFor({ timeout: 5000 });
  const stats = await (await fetch(`http://127.0.0.1:${offlinePort}/api/stats`)).json();
  const shown = Object.fromEntries((await page.getByTestId("protocol-count").allTextContents())
    .map((t) => [t.replace(/\d+$/, ""), Number(t.match(/\d+$/)[0])]));
  check(JSON.stringify(shown) === JSON.stringify(Object.fromEntries(
      Object.entries(stats.entries.by_protocol).sort((a, b) => b[1] - a[1]))),
        `overview protocol counts ${JSON.stringify(shown)}`);
  const kept = await page.getByTestId("packets-kept").textContent();
  check(stats.packet_ring.kept_packets > 0 &&
        kept === `${stats.packet_ring.kept_packets} (0 not kept: disk behind)`,
        `the packets kept for export are shown: ${kept}`);
  const charts = await page.getByTestId("chart").evaluateAll((cs) => cs.map((c) => c.getAttribute("data-title")));
  check(JSON.stringify(charts) === JSON.stringify(["Calls", "Error rate", "Latency p50", "Latency p95"]), `charts: ${charts}`);
  check((await page.locator('[data-title="Latency p95"] .legend').allTextContents()).includes("HTTP"),
        "latency over time per protocol");
  await page.screenshot({ path: `${artifacts}/overview.png` });
  // Themes: auto -> light -> dark, remembered.
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.getByTestId("theme").click();
  check(await background() === "rgb(255, 255, 255)", `light theme: ${await background()}`);
  await page.getByTestId("theme").click();
  check(await background() === "rgb(13, 17, 23)", `dark theme: ${await background()}`);
  await page.screenshot({ path: `${artifacts}/overview-dark.png` });
  await page.reload();
  await page.getByTestId("theme").waitFor();
  check(await background() === "rgb(13, 17, 23)", "the theme is remembered");
  await page.close();
} finally {
  offline.kill("SIGTERM");
}

// 1b. The worker going away: the page says what failed, keeps its rows, retries,
// and recovers when the worker is back. Failed requests are logged by the
// browser as console errors here, expected (refused; or reset, or answered with
// nothing, when the kill lands mid-request); uncaught exceptions still count.
{
  const port = 18973;
  const demo = path.join(repo, "fixtures/demo.pcap");
  let worker = start(["read", demo, "--serve"], port);
  try {
    await waitHealthy(port);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    logFailedRequests(page);
    page.on("console", (m) => m.type() === "error" &&
                                 !/ERR_CONNECTION_(REFUSED|RESET)|ERR_EMPTY_RESPONSE|WebSocket connection/.test(m.text()) &&
                                 consoleErrors.push(m.text()));
    await page.goto(`http://127.0.0.1:${port}/`);
    const rows = page.getByTestId("entry-row");
    await rows.first().waitFor({ timeout: 10000 });
    const held = () => page.getByTestId("stream-status").getAttribute("data-rows");
    const before = await held();
    worker.kill("SIGKILL");
    await page.getByRole("status").filter({ hasText: "lost the connection to the worker" }).waitFor({ timeout: 10000 });
    check(await held() === before && (await rows.count()) > 0, `the rows stay while the worker is away (${before})`);
    await page.getByRole("button", { name: "Overview" }).click();
    await page.getByText("cannot load /api/stats").waitFor({ timeout: 10000 });
    check(await page.getByRole("button", { name: "Stream" }).isVisible(), "never a blank page when the API fails");
    await page.screenshot({ path: `${artifacts}/worker-away.png` });
    worker = start(["read", demo, "--serve"], port);
    await waitHealthy(port);
    await page.getByTestId("stream-status").filter({ hasText: "live" }).waitFor({ timeout: 10000 });
    await page.getByTestId("protocol-count").first().waitFor({ timeout: 10000 });
    check(await page.getByRole("status").count() === 0, "the problem is cleared once the worker is back");
    await page.close();
  } finally {
    worker.kill("SIGTERM");
  }
}

// 1c. Kubernetes names (read --serve --names): the stream, the detail and the
// map name pods by namespace and workload; the namespace and workload selector
// filters to one.
{
  const port = 18974;
  const dir = mkdtempSync(path.join(os.tmpdir(), "trawl-e2e-names-"));
  const pod = (name, ip, labels, owner) => ({
    apiVersion: "v1", kind: "Pod", status: { phase: "Running", podIP: ip },
    metadata: { name, namespace: "shop", creationTimestamp: "2026-01-01T00:00:00Z", labels,
                ownerReferences: [{ kind: owner[0], name: owner[1], controller: true }] },
  });
  writeFileSync(path.join(dir, "names.json"), JSON.stringify({ apiVersion: "v1", kind: "List", items: [
    pod("client-5f7b9-abcde", "10.77.0.2", { app: "client", "pod-template-hash": "5f7b9" }, ["ReplicaSet", "client-5f7b9"]),
    pod("web-0", "10.77.0.1", { app: "web" }, ["StatefulSet", "web"]),
  ] }));
  const named = start(["read", path.join(repo, "fixtures/demo.pcap"), "--serve", "--names", path.join(dir, "names.json")], port);
  try {
    await waitHealthy(port);
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByTestId("entry-row").first().waitFor({ timeout: 10000 });
    const rows = await page.getByTestId("entry-row").allTextContents();
    check(rows.some((t) => /shop\/client-5f7b9-abcde:\d+ → shop\/web-0:80/.test(t)), `rows by pod name: ${rows[0]}`);
    await page.getByTestId("entry-row").filter({ hasText: "GET /index.json" }).first().click();
    const dst = page.getByTestId("identity-dst");
    await dst.waitFor({ timeout: 5000 });
    check((await dst.textContent()).includes("pod shop / web-0 · StatefulSet web"), `the detail's identity: ${await dst.textContent()}`);
    await page.getByRole("button", { name: "Service map" }).click();
    const map = page.getByTestId("service-map");
    await map.waitFor({ timeout: 5000 });
    check(await map.getAttribute("data-grouping") === "workload", "the map groups by workload when pods are named");
    const nodes = (await page.getByTestId("map-node").allTextContents()).sort();
    check(nodes.includes("shop/client") && nodes.includes("shop/web"), `map nodes by workload: ${nodes}`);
    await page.screenshot({ path: `${artifacts}/map-workloads.png` });
    await page.getByTestId("scope-namespace").selectOption("shop");
    await page.getByTestId("scope-workload").selectOption("web");
    const want = '(src.namespace == "shop" and src.workload.name == "web") or (dst.namespace == "shop" and dst.workload.name == "web")';
    await page.waitForFunction((q) => new URL(location.href).searchParams.get("q") === q ||
                                      document.querySelector("input, textarea")?.value === q, want, { timeout: 5000 });
    check(await page.getByTestId("service-map").getAttribute("data-grouping") === "workload", "the scope keeps the view");
    await page.close();
  } finally {
    named.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

// 2. Live: requests to a local server arrive on the stream.
const server = http.createServer((req, res) => {
  if (req.url === "/xml") {
    res.setHeader("content-type", "application/xml");
    return res.end('<?xml version="1.0"?><feed><item id="1">one</item><item id="2">two</item></feed>');
  }
  if (req.url === "/bin") {
    res.setHeader("content-type", "application/octet-stream");
    return res.end(Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x42, 0x80]));
  }
  res.end(`hello ${req.url}`);
});
await new Promise((r) => server.listen(18971, "127.0.0.1", r));
const livePort = 18972;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "trawl-e2e-"));
const live = start(["capture", "-i", "lo", "--filter-bpf", "tcp port 18971", "--threads", "1", "--data-dir", dataDir], livePort);
try {
  await waitHealthy(livePort);
  const page = await newPage();
  await page.goto(`http://127.0.0.1:${livePort}/?q=${encodeURIComponent("http")}`);
  await page.getByTestId("stream-status").filter({ hasText: "live" }).waitFor({ timeout: 10000 });
  for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:18971/live-${i}`)).text();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="entry-row"]').length >= 5, null, { timeout: 10000 });
  const texts = await page.getByTestId("entry-row").allTextContents();
  for (let i = 0; i < 5; i++) check(texts.some((t) => t.includes(`GET /live-${i}`)), `live request /live-${i} arrived`);
  await page.screenshot({ path: `${artifacts}/live.png` });
  // Scrolled away from the top, new entries wait behind an "N new" button.
  for (let i = 0; i < 40; i++) await (await fetch(`http://127.0.0.1:18971/more-${i}`)).text();
  // Every one of them in (the status counts rows, which are virtualised), so
  // only the next ones can wait behind the button.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stream-status"]').dataset.rows) >= 45,
                             null, { timeout: 10000 });
  await page.getByTestId("stream").evaluate((el) => { el.scrollTop = 400; });
  await page.waitForTimeout(500);
  for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:18971/late-${i}`)).text();
  const newButton = page.getByTestId("new-entries");
  await newButton.filter({ hasText: /^3 new/ }).waitFor({ timeout: 10000 });
  const heldRows = await page.getByTestId("stream").evaluate((el) => el.textContent);
  check(!heldRows.includes("/late-"), "new entries wait while the reader is scrolled away");
  await page.screenshot({ path: `${artifacts}/new-entries.png` });
  await newButton.click();
  await page.waitForFunction(() => document.querySelector('[data-testid="stream"]').textContent.includes("/late-2"), null, { timeout: 5000 });
  const topRows = await page.getByTestId("entry-row").allTextContents();
  check([0, 1, 2].every((i) => topRows.some((t) => t.includes(`/late-${i}`))), "the N new button shows them, at the top");
  // Bodies by type: a form, XML, binary.
  await fetch("http://127.0.0.1:18971/form", { method: "POST", body: "user=ann+lee&tags=a%26b",
                                              headers: { "content-type": "application/x-www-form-urlencoded" } });
  await (await fetch("http://127.0.0.1:18971/xml")).text();
  await (await fetch("http://127.0.0.1:18971/bin")).arrayBuffer();
  const stream = page.getByTestId("stream");
  await page.waitForFunction(() => document.querySelector('[data-testid="stream"]').textContent.includes("GET /bin"), null, { timeout: 10000 });
  await page.getByTestId("entry-row").filter({ hasText: "POST /form" }).click();
  const form = page.getByTestId("request-body");
  await form.waitFor({ timeout: 5000 });
  check(await form.getAttribute("data-kind") === "form" && (await form.textContent()) === "userann leetagsa&b",
        `a form body as its fields: ${await form.textContent()}`);
  await stream.getByTestId("entry-row").filter({ hasText: "GET /xml" }).click();
  await page.getByTestId("response-body").filter({ hasText: "<feed>" }).waitFor({ timeout: 5000 });
  check(await page.getByTestId("response-body").textContent() ===
        '<?xml version="1.0"?>\n<feed>\n  <item id="1">one</item>\n  <item id="2">two</item>\n</feed>', "XML indented");
  await page.screenshot({ path: `${artifacts}/detail-xml.png` });
  await stream.getByTestId("entry-row").filter({ hasText: "GET /bin" }).click();
  await page.getByTestId("response-body").filter({ hasText: "00000000:" }).waitFor({ timeout: 5000 });
  check((await page.getByTestId("response-body").textContent()).startsWith("00000000: 00ff fe41 4280"),
        `binary as hex: ${await page.getByTestId("response-body").textContent()}`);
  await page.close();

  // The rows kept in memory are capped (?cap=, or the selector): the oldest leave.
  const capped = await newPage();
  await capped.goto(`http://127.0.0.1:${livePort}/?q=http&cap=10`);
  await capped.getByTestId("stream-status").filter({ hasText: "live" }).waitFor({ timeout: 10000 });
  await capped.waitForFunction(() => document.querySelector('[data-testid="stream-status"]').dataset.rows === "10", null, { timeout: 5000 });
  for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:18971/capped-${i}`)).text();
  await capped.waitForFunction(() => document.querySelector('[data-testid="stream"]').textContent.includes("/capped-4"), null, { timeout: 10000 });
  check(await capped.getByTestId("stream-status").getAttribute("data-rows") === "10", "no more rows than the cap");
  await capped.close();
} finally {
  live.kill("SIGTERM");
  server.close();
}
await browser.close();
rmSync(dataDir, { recursive: true, force: true });

check(consoleErrors.length === 0, `no console errors: ${consoleErrors.join(" | ")}`);
console.log(`dashboard e2e: ${checks} checks, ${failures.length} failed`);
for (const f of failures) console.log("  FAILED:", f);
process.exit(failures.length ? 1 : 0);
