// Times single clicks over HTTP against two running segplug serve processes, alternating, so that both see the same
// machine load (the figures of docs/http-api.md, "Speed"). Server A is asked the way the page asked before one
// request answered a click (the selection's PNG, then the image's state as JSON); server B the way it asks now (the
// PNG only, whose headers say what the panel shows). Each click is undone before the next; clicks are at the points
// the browser test uses, scaled to the image. Needs Node 18 or later (fetch); no packages.
//
//   node click-timing.mjs URL_A URL_B TOKEN IMAGE [ROUNDS]
//
// Start both servers with the same --token (e.g. an older build on --port 7871 and this one on --port 7872).
import fs from 'node:fs';

const [aUrl, bUrl, token, imagePath, roundsArg] = process.argv.slice(2);
if (!imagePath) {
  console.error('usage: node click-timing.mjs URL_A URL_B TOKEN IMAGE [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg || 31);
const image = fs.readFileSync(imagePath);
const auth = { Authorization: 'Bearer ' + token };

async function open(url) {
  const r = await fetch(`${url}/api/images?name=timing.png`, { method: 'POST', headers: auth, body: image });
  if (!r.ok) throw new Error(`${url}: upload answered ${r.status} ${await r.text()}`);
  const info = await r.json();
  for (;;) {
    const s = await (await fetch(`${url}/api/images/${info.id}?proposalMasks=0`, { headers: auth })).json();
    if (s.ready) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  return { url, id: info.id, width: info.width, height: info.height };
}

async function click(server, [x, y], twoRequests) {
  const started = performance.now();
  const r = await fetch(`${server.url}/api/images/${server.id}/select`, {
    method: 'POST', headers: { ...auth, Accept: 'image/png', 'Content-Type': 'application/json' },
    body: JSON.stringify({ points: [[x, y, 1]], op: 'replace' }),
  });
  if (!r.ok) throw new Error(`${server.url}: select answered ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
  if (twoRequests) await (await fetch(`${server.url}/api/images/${server.id}`, { headers: auth })).json();
  const ms = performance.now() - started;
  await fetch(`${server.url}/api/images/${server.id}/undo`, { method: 'POST', headers: auth });
  return { ms, server: Number(r.headers.get('X-Select-Ms')), timing: r.headers.get('Server-Timing') };
}

const median = (xs) => { const s = [...xs].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; };
const a = await open(aUrl), b = await open(bUrl);
const sx = a.width / 600, sy = a.height / 400;
const points = [[-20, 0], [20, 0], [0, -20], [0, 20], [-10, 10], [0, 0], [10, -10]]
  .map(([dx, dy]) => [Math.round((300 + dx) * sx), Math.round((200 + dy) * sy)]);

const firstA = await click(a, points[0], true), firstB = await click(b, points[0], false);
console.log(`first click: A ${firstA.ms.toFixed(0)} ms (server ${firstA.server} ms), B ${firstB.ms.toFixed(0)} ms (server ${firstB.server} ms; ${firstB.timing})`);
for (let i = 1; i < 3; i++) { await click(a, points[i], true); await click(b, points[i], false); }

const runs = { A: [], B: [] };
const stages = {};
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
  for (const name of order) {
    const r = await click(name === 'A' ? a : b, points[i % points.length], name === 'A');
    runs[name].push(r);
    if (name === 'B' && r.timing)
      for (const part of r.timing.split(',')) { const [stage, dur] = part.trim().split(';dur='); (stages[stage] ||= []).push(Number(dur)); }
  }
}
for (const name of ['A', 'B']) {
  const list = runs[name];
  console.log(`${name}: round trip median ${median(list.map((r) => r.ms)).toFixed(1)} ms, X-Select-Ms median ${median(list.map((r) => r.server)).toFixed(1)} ms, `
    + `round trip beyond X-Select-Ms median ${median(list.map((r) => r.ms - r.server)).toFixed(1)} ms`);
}
console.log(`B/A round trip: ${(median(runs.B.map((r) => r.ms)) / median(runs.A.map((r) => r.ms))).toFixed(3)}`);
console.log('B Server-Timing medians: ' + Object.entries(stages).map(([n, v]) => `${n} ${median(v).toFixed(1)} ms`).join(', '));
