// Drives the gateway's status page in a real headless Chromium (Debian's,
// through playwright-core): the token form, the sessions table, the charts,
// then the Disconnect button of one session.
//   node status-page.js URL TOKEN DISCONNECT_ID SCREENSHOT
// Prints "OK: ..." lines per check and "ERR: ..." for a failure; exits 1 on
// the first failure.
"use strict";
const path = require("path");
const { chromium } = require(path.join(process.env.P2S_NODE_DIR, "node_modules", "playwright-core"));

const [url, token, victim, shot] = process.argv.slice(2);

function ok(what) { console.log("OK: " + what); }

async function canvasInk(page, sel) {
  return page.$eval(sel, (c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
    return { ink, points: Number(c.dataset.points || 0) };
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("dialog", (d) => d.accept()); // the Disconnect confirmation
    await page.goto(url, { timeout: 15000 });
    await page.waitForSelector("#login:not([hidden])", { timeout: 10000 });
    ok("the page asks for the token");
    await page.fill("#token", token);
    await page.click("#save-token");
    await page.waitForFunction(() => document.querySelectorAll("#sessions tbody tr").length >= 2,
                               null, { timeout: 10000 });
    const rows = await page.$$eval("#sessions tbody tr", (trs) => trs.map((t) => t.dataset.id));
    ok("sessions shown: " + rows.join(" "));
    if (!rows.includes(victim)) throw new Error(`expected ${victim} in the table, got ${rows}`);
    await page.click('#sessions th[data-key="egressBytesTransferred"]');
    const sorted = await page.$eval('#sessions th[data-key="egressBytesTransferred"]',
                                    (th) => th.className);
    if (!/sorted-asc/.test(sorted)) throw new Error("expected the Out column sorted, got " + sorted);
    ok("the table sorts by a clicked column");
    for (const c of ["#chart-conn", "#chart-bw"]) {
      const { ink, points } = await canvasInk(page, c);
      if (points < 1 || ink < 500) throw new Error(`${c}: expected a drawn chart, got ${points} points, ${ink} inked pixels`);
      ok(`${c} drawn: ${points} points, ${ink} inked pixels`);
    }
    const refusals = await page.$$eval("#refusals tbody tr", (t) => t.length);
    ok("recent refusals listed: " + refusals);
    await page.screenshot({ path: shot, fullPage: true });
    ok("screenshot " + shot);
    await page.click(`#sessions button.disconnect[data-id="${victim}"]`);
    await page.waitForFunction(
      (id) => ![...document.querySelectorAll("#sessions tbody tr")].some((t) => t.dataset.id === id),
      victim, { timeout: 10000 });
    const msg = await page.textContent("#action-result");
    ok("after Disconnect the row is gone; the page says: " + msg);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.log("ERR: " + e.message); process.exit(1); });
