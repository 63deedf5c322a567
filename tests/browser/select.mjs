// Drives the segplug serve page in Debian's chromium. It starts no server: the caller (the xunit test
// BrowserPageTests, or a person) passes the page's address with its token.
//
//   node select.mjs URL IMAGE X,Y EX,EY OUTDIR
//
// Opens IMAGE with the page's file picker, times single clicks at points near X,Y (each undone), then clicks
// X,Y, waits for the overlay, Alt-clicks EX,EY (exclude), undoes that, and exports the mask with the Export
// button. Writes OUTDIR/mask.png, OUTDIR/page.png (a screenshot) and prints one JSON line with the timings.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [url, image, click, exclude, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node select.mjs URL IMAGE X,Y EX,EY OUTDIR');
  process.exit(2);
}
const [cx, cy] = click.split(',').map(Number);
const [ex, ey] = exclude.split(',').map(Number);
fs.mkdirSync(outDir, { recursive: true });

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
const deadline = 120_000;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);

  const overlays = () => page.evaluate(() => window.segplug.overlays);
  const idle = () => page.waitForFunction(() => window.segplug.busy === 0, null, { timeout: deadline });
  const screenPoint = async (x, y) => {
    const box = await page.locator('#overlay').boundingBox();
    const size = await page.evaluate(() => [window.segplug.image.width, window.segplug.image.height]);
    return [box.x + (x + 0.5) * box.width / size[0], box.y + (y + 0.5) * box.height / size[1]];
  };
  // Clicks land on the centre of a screen pixel; the page reads them back to image pixels rounded to 0.1.
  const clickAt = async (x, y, modifiers = []) => {
    const before = await overlays();
    const [sx, sy] = await screenPoint(x, y);
    await page.mouse.move(sx, sy);
    for (const m of modifiers) await page.keyboard.down(m);
    await page.mouse.down();
    await page.mouse.up();
    for (const m of modifiers) await page.keyboard.up(m);
    await page.waitForFunction((n) => window.segplug.overlays > n && window.segplug.busy === 0, before, { timeout: deadline });
  };
  const press = async (selector) => {
    const before = await overlays();
    await page.click(selector);
    await page.waitForFunction((n) => window.segplug.overlays > n && window.segplug.busy === 0, before, { timeout: deadline });
  };

  await page.setInputFiles('#file', image);
  await page.waitForFunction(() => window.segplug.image && window.segplug.overlays > 0 && window.segplug.busy === 0, null, { timeout: deadline });
  await page.screenshot({ path: path.join(outDir, 'opened.png') });

  // Timing: single clicks at different points of the object, each undone (a new first click always runs the model).
  for (const [dx, dy] of [[-20, 0], [20, 0], [0, -20], [0, 20], [-10, 10]]) {
    await clickAt(cx + dx, cy + dy);
    await press('#undo');
  }

  await clickAt(cx, cy);
  const clicked = await page.evaluate(() => window.segplug.object.points.map((p) => [p.x, p.y, p.include]));
  await page.screenshot({ path: path.join(outDir, 'page.png') });
  await clickAt(ex, ey, ['Alt']);
  const excluded = await page.evaluate(() => window.segplug.object.points.length);
  await page.screenshot({ path: path.join(outDir, 'excluded.png') });
  await press('#undo');
  const afterUndo = await page.evaluate(() => window.segplug.object.points.length);

  const [download] = await Promise.all([page.waitForEvent('download', { timeout: deadline }), page.click('#export-mask')]);
  await download.saveAs(path.join(outDir, 'mask.png'));
  await idle();
  const times = await page.evaluate(() => window.segplug.clickMs);
  const server = await page.evaluate(() => window.segplug.serverMs);
  const sorted = [...times].sort((a, b) => a - b);
  const serverSorted = [...server].sort((a, b) => a - b);
  console.log(JSON.stringify({
    clicked, excluded, afterUndo, clickMs: times.map((t) => Math.round(t)),
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]),
    serverMs: server.map((t) => Math.round(t)), serverMedianMs: Math.round(serverSorted[Math.floor(serverSorted.length / 2)]), errors,
  }));
} finally {
  await browser.close();
}
