// Drives the segplug serve page in Debian's chromium. It starts no server: the caller (the xunit test
// BrowserPageTests, or a person) passes the page's address with its token.
//
//   node select.mjs URL IMAGE X,Y EX,EY OUTDIR [BIG_IMAGE]
//
// Opens IMAGE with the page's file picker, times single clicks at points near X,Y (each undone), then clicks
// X,Y, waits for the overlay, Alt-clicks EX,EY (exclude), undoes that, and exports the mask with the Export
// button. Then ticks "Refine edges (hair)" (the matte), waits for the soft overlay and exports the mask and the
// cut-out again. Writes OUTDIR/mask.png, OUTDIR/mask-matte.png, OUTDIR/cutout-matte.png, screenshots, and prints one
// JSON line with the timings (click-to-overlay and the server's stages from Server-Timing). With BIG_IMAGE (the
// same photo at about 1 MP, the goal's size) it then opens that and times the same single clicks on it, scaled.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [url, image, click, exclude, outDir, bigImage] = process.argv.slice(2);
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

  const save = async (selector, name) => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: deadline }), page.click(selector)]);
    await download.saveAs(path.join(outDir, name));
    await idle();
  };
  await save('#export-mask', 'mask.png');

  // The matte: the overlay turns soft at the edge, and both exports carry fractional alpha.
  const beforeMatte = await overlays();
  await page.check('#matte');
  await page.waitForFunction((n) => window.segplug.overlays > n && window.segplug.busy === 0, beforeMatte, { timeout: deadline });
  const softOverlay = await page.evaluate(() => {
    const d = window.segplug.mask.data;
    let soft = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 0 && d[i] < 255) soft++;
    return soft;
  });
  await page.screenshot({ path: path.join(outDir, 'matte.png') });
  await save('#export-mask', 'mask-matte.png');
  await save('#export-cutout', 'cutout-matte.png');

  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? Math.round(10 * s[Math.floor(s.length / 2)]) / 10 : null; };
  const timings = async (from) => {
    const times = (await page.evaluate(() => window.segplug.clickMs)).slice(from);
    const server = (await page.evaluate(() => window.segplug.serverMs)).slice(from);
    const stages = (await page.evaluate(() => window.segplug.serverStages)).slice(from);
    const stageMedians = {};
    for (const name of [...new Set(stages.flatMap((s) => Object.keys(s)))]) stageMedians[name] = median(stages.map((s) => s[name] || 0));
    return { clickMs: times.map((t) => Math.round(t)), medianMs: median(times), serverMs: server.map((t) => Math.round(t)), serverMedianMs: median(server), stageMedians };
  };
  const small = await timings(0);

  let big = null;
  if (bigImage) {
    await page.uncheck('#matte');
    await idle();
    const from = await page.evaluate(() => window.segplug.clickMs.length);
    const size0 = await page.evaluate(() => [window.segplug.image.width, window.segplug.image.height]);
    await page.setInputFiles('#file', bigImage);
    await page.waitForFunction((w) => window.segplug.image && window.segplug.image.width !== w && window.segplug.overlays > 0 && window.segplug.busy === 0, size0[0], { timeout: deadline });
    const size = await page.evaluate(() => [window.segplug.image.width, window.segplug.image.height]);
    const sx = size[0] / size0[0], sy = size[1] / size0[1];
    for (const [dx, dy] of [[-20, 0], [20, 0], [0, -20], [0, 20], [-10, 10], [0, 0], [10, -10]]) {
      await clickAt(Math.round((cx + dx) * sx), Math.round((cy + dy) * sy));
      await press('#undo');
    }
    big = { width: size[0], height: size[1], ...(await timings(from)) };
    await page.screenshot({ path: path.join(outDir, 'big.png') });
  }
  console.log(JSON.stringify({ clicked, excluded, afterUndo, ...small, softOverlay, big, errors }));
} finally {
  await browser.close();
}
