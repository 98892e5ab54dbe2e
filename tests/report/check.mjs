// Opens each results folder's report.html in Debian's Chromium (headless, through
// playwright-core) and checks what a reader would see; exits 1 naming every problem found.
//
//   node check.mjs SCREENSHOT_DIR KIND=FOLDER...
//   KIND: run, compare, sweep, sensitivity, solve or backtest
//
// (a) no console errors or page errors; (b) no request but the file itself and data: URLs;
// (c) at 1280x800 and 390x844: no horizontal scroll, no text element wider than its box or cut
// off by an ancestor, no two SVG <text> boxes of one chart overlapping by more than 3 units, no
// SVG text outside its chart; a full-page screenshot of each; (d) every data-figure element
// prints the value at its path of the folder's JSON, formatted as its data-format says.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const JSON_OF = {
  run: "summary.json",
  compare: "compare.json",
  sweep: "sweep.json",
  sensitivity: "sensitivity.json",
  solve: "solve.json",
  backtest: "backtest.json",
};
const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];
const TEXT_SELECTOR = "p, li, td, th, h1, h2, h3, dt, dd, figcaption";
const OVERLAP_UNITS = 3;

const [shotDir, ...folders] = process.argv.slice(2);
if (!shotDir || folders.length === 0) {
  console.error("usage: node check.mjs SCREENSHOT_DIR KIND=FOLDER...");
  process.exit(2);
}
mkdirSync(shotDir, { recursive: true });
const problems = [];

// The report's number formats (src/results/report.rs): ties rounded away from zero.
const roundAway = (x) => Math.sign(x) * Math.round(Math.abs(x));
function thousands(v) {
  const n = roundAway(v);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${digits}` : digits;
}
function signed(x, decimals) {
  const s = x.toFixed(decimals);
  return x > 0 || (x === 0 && !Object.is(x, -0)) ? `+${s}` : s;
}
function printed(value, format) {
  switch (format) {
    case "percent":
      return `${(roundAway(value * 1000) / 10).toFixed(1)}%`;
    case "points":
      return `${signed(roundAway(value * 1000) / 10, 1)} pts`;
    case "count":
      return thousands(value);
    case "fixed3":
      return signed(roundAway(value * 1000) / 1000, 3);
    case "number":
      return String(value);
    case "text":
      return typeof value === "string" ? value : JSON.stringify(value);
    default:
      return `<unknown data-format ${format}>`;
  }
}
const at = (json, path) =>
  path.split(".").reduce((v, key) => (v === undefined || v === null ? undefined : v[key]), json);

// Runs in the page: every layout problem, as text.
function layoutProblems({ selector, overlapUnits }) {
  const found = [];
  const name = (el) => {
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);
    return `<${el.tagName.toLowerCase()}> "${text}"`;
  };
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    found.push(`the page scrolls sideways (${root.scrollWidth}px wide, ${root.clientWidth}px shown)`);
  }
  for (const el of document.querySelectorAll(selector)) {
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name(el)} overflows its box (${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === "auto" || style.overflowX === "scroll") break; // scrolls: readable
      if (style.overflowX === "hidden" || style.overflowX === "clip") {
        const b = a.getBoundingClientRect();
        if (r.left < b.left - 1 || r.right > b.right + 1) {
          found.push(`${name(el)} is cut off by <${a.tagName.toLowerCase()}>`);
        }
        break;
      }
    }
  }
  for (const [k, svg] of [...document.querySelectorAll("svg")].entries()) {
    const box = svg.getBoundingClientRect();
    const unit = box.width / (svg.viewBox.baseVal?.width || box.width);
    const texts = [...svg.querySelectorAll("text")]
      .filter((t) => t.textContent.trim() !== "")
      .map((t) => ({ t, r: t.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && r.height > 0);
    const chart = `chart ${k + 1} ("${(texts[0]?.t.textContent || "").trim().slice(0, 40)}")`;
    for (const { t, r } of texts) {
      const slack = overlapUnits * unit;
      if (r.left < box.left - slack || r.right > box.right + slack || r.top < box.top - slack || r.bottom > box.bottom + slack) {
        found.push(`${chart}: text "${t.textContent.trim()}" runs outside the chart`);
      }
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].r;
        const b = texts[j].r;
        const w = (Math.min(a.right, b.right) - Math.max(a.left, b.left)) / unit;
        const h = (Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)) / unit;
        if (w > overlapUnits && h > overlapUnits) {
          found.push(
            `${chart}: texts "${texts[i].t.textContent.trim()}" and "${texts[j].t.textContent.trim()}" overlap (${w.toFixed(0)}x${h.toFixed(0)} units)`,
          );
        }
      }
    }
  }
  return found;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  for (const spec of folders) {
    const [kind, folder] = spec.split("=");
    if (!JSON_OF[kind] || !folder) {
      problems.push(`${spec}: expected KIND=FOLDER with KIND one of ${Object.keys(JSON_OF)}`);
      continue;
    }
    const json = JSON.parse(readFileSync(join(folder, JSON_OF[kind]), "utf8"));
    const url = pathToFileURL(resolve(folder, "report.html")).href;
    for (const viewport of VIEWPORTS) {
      const where = `${kind} report at ${viewport.width}x${viewport.height}`;
      // A fresh context per page: nothing cached between loads.
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`${where}: console error: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`${where}: page error: ${e.message}`));
      page.on("request", (r) => {
        if (r.url() !== url && !r.url().startsWith("data:")) {
          problems.push(`${where}: requested ${r.url()} (the report must load nothing)`);
        }
      });
      await page.goto(url, { waitUntil: "load" });
      for (const p of await page.evaluate(layoutProblems, { selector: TEXT_SELECTOR, overlapUnits: OVERLAP_UNITS })) {
        problems.push(`${where}: ${p}`);
      }
      const shot = join(shotDir, `${kind}-${viewport.name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      await page.screenshot({ path: join(shotDir, `${kind}-${viewport.name}-first-screen.png`) });
      if (viewport.name === "desktop") {
        const figures = await page.$$eval("[data-figure]", (els) =>
          els.map((e) => [e.dataset.figure, e.dataset.format, e.textContent]),
        );
        if (figures.length < 5) problems.push(`${where}: only ${figures.length} data-figure elements`);
        for (const [path, format, text] of figures) {
          const value = at(json, path);
          if (value === undefined || value === null) {
            problems.push(`${where}: data-figure ${path} is not in ${JSON_OF[kind]}`);
          } else if (text !== printed(value, format)) {
            problems.push(`${where}: data-figure ${path} shows "${text}", ${JSON_OF[kind]} holds ${JSON.stringify(value)} ("${printed(value, format)}")`);
          }
        }
        console.log(`${kind}: ${figures.length} figures checked against ${JSON_OF[kind]}`);
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
}
if (problems.length > 0) {
  console.error(`report browser test: FAIL: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`report browser test: all ${folders.length} reports render cleanly (screenshots in ${shotDir})`);
