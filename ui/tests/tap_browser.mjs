// The dashboard of a cluster through `trawl tap`'s proxy (tests/deploy/tap_test.py
// runs it while the proxy serves): Debian's chromium reaches the hub through
// the stand-in API server's service proxy. The stream, a filter, the detail,
// the service map and each node's health, with entries of all three nodes
// named. Any console error fails it.
// Usage: node tests/tap_browser.mjs URL NODES   (NODES: n1,n2,n3)
import { chromium } from "playwright-core";

const [url, nodeList] = process.argv.slice(2);
const nodes = nodeList.split(",");
let checks = 0;
const failures = [];
const check = (cond, what) => {
  checks++;
  if (!cond) failures.push(what);
};

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  const query = 'request.path == "/browser"';
  await page.goto(`${url}/?q=${encodeURIComponent(query)}`);
  const rows = page.getByTestId("entry-row");
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="entry-row"]').length >= n,
                             nodes.length, { timeout: 15000 });
  const texts = await rows.allTextContents();
  check(texts.length === nodes.length && texts.every((t) => /shop\/client:\d+ → shop\/web-a:8080/.test(t)),
        `one row per node, named: ${texts}`);
  // The live stream: a new call arrives while the page is open.
  const filter = page.getByLabel("KFL filter");
  await filter.fill('request.path == "/browser-live"');
  await page.waitForTimeout(400);
  await filter.press("Enter");
  process.stdout.write("ready\n");  // the test makes the call now
  await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="entry-row"]')]
    .filter((r) => r.textContent.includes("/browser-live")).length >= n, nodes.length, { timeout: 15000 });
  check(true, "live entries of every node arrive through the proxy");
  await rows.first().click();
  const detail = page.getByTestId("detail");
  await detail.waitFor({ timeout: 5000 });
  const shown = await detail.textContent();
  check(nodes.some((n) => shown.includes(n)) && shown.includes("web-a"), `the detail names the node and pod: ${shown.slice(0, 200)}`);
  await page.getByRole("button", { name: "Service map" }).click();
  await page.getByTestId("service-map").waitFor({ timeout: 5000 });
  const mapNodes = await page.getByTestId("map-node").allTextContents();
  check(mapNodes.some((n) => n.includes("shop/")), `the map by workload: ${mapNodes}`);
  await page.getByRole("button", { name: "Overview" }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="node-health"]').length === n,
                             nodes.length, { timeout: 10000 });
  const health = await page.getByTestId("node-health").allTextContents();
  check(nodes.every((n, i) => health[i].startsWith(n) && health[i].includes("up")), `each node's health: ${health}`);
  await page.close();
} catch (e) {
  failures.push(`browser: ${e.message}`);
} finally {
  await browser.close();
}
check(errors.length === 0, `console errors: ${errors}`);
console.log(`tap_browser: ${checks} checks, ${failures.length} failed`);
for (const f of failures) console.log(`  FAILED: ${f}`);
process.exit(failures.length ? 1 : 0);
