// One dashboard over two clusters (tests/hub/clusters_test.py runs it against
// the top hub): Debian's chromium shows both clusters' rows, each side named by
// the cluster that knows it, and the service map draws the call between the
// clusters as one edge of one call; clicking it filters the stream to it.
// Any console error fails it.
// Usage: node tests/clusters_browser.mjs URL TOKEN
import { chromium } from "playwright-core";

const [url, token] = process.argv.slice(2);
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
  await page.addInitScript((t) => sessionStorage.setItem("trawl.token", t), token);
  await page.goto(`${url}/?q=${encodeURIComponent("http")}`);
  const rows = page.getByTestId("entry-row");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="entry-row"]').length >= 3,
                             null, { timeout: 15000 });
  const texts = await rows.allTextContents();
  const across = texts.filter((t) => t.includes("/across"));
  check(across.length === 2 && across.every((t) => /east: shop\/client-6c4d-x:\d+ → west: shop\/web-7f8b-y:8080/.test(t)),
        `the call seen by both clusters reads the same from both: ${across}`);
  check(texts.some((t) => /\/inside.*west: shop\/cron-5a1e-z:\d+ → west: shop\/web-7f8b-y:8080/.test(t)),
        `a call inside west: ${texts}`);
  // The detail shows the entry as stored: east's entry does not name west's pod.
  await rows.filter({ hasText: "/across" }).first().click();
  const detail = page.getByTestId("detail");
  await detail.waitFor({ timeout: 5000 });
  check((await detail.textContent()).length > 0, "the detail opens");

  await page.getByRole("button", { name: "Service map" }).click();
  await page.getByTestId("service-map").waitFor({ timeout: 5000 });
  const edges = await page.getByTestId("map-edge").evaluateAll((es) => es.map((e) => ({
    label: e.querySelector("text").textContent, title: e.querySelector("title").textContent })));
  const between = edges.filter((e) => e.title.startsWith("east: shop/client → west: shop/web"));
  check(edges.length === 2 && between.length === 1 && between[0].label.startsWith("HTTP 1 calls"),
        `the call between the clusters is one edge of one call: ${JSON.stringify(edges)}`);
  const mapNodes = await page.getByTestId("map-node").allTextContents();
  check(["east: shop/client", "west: shop/cron", "west: shop/web"].every((n) => mapNodes.includes(n)),
        `map nodes by cluster and workload: ${mapNodes}`);
  await page.getByTestId("map-edge").filter({ hasText: "HTTP 1 calls" })
    .and(page.locator("g", { has: page.locator("title", { hasText: "east: shop/client" }) })).first().click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="entry-row"]').length === 1,
                             null, { timeout: 10000 });
  const filtered = await rows.allTextContents();
  check(filtered.length === 1 && filtered[0].includes("/across"), `clicking the edge filters to the call: ${filtered}`);
  await page.close();
} catch (e) {
  failures.push(`browser: ${e.message}`);
} finally {
  await browser.close();
}
check(errors.length === 0, `console errors: ${errors}`);
console.log(`clusters_browser: ${checks} checks, ${failures.length} failed`);
for (const f of failures) console.log(`  FAILED: ${f}`);
process.exit(failures.length ? 1 : 0);
