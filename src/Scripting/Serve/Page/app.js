// The segplug serve page: talks only to the server that served it, with the token from the address's fragment.
'use strict';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';

const state = {
  image: null,          // { id, name, width, height }
  mode: 'replace',      // how a new object combines with the selection
  object: { points: [], box: null }, // the current object's prompts (what the next click extends)
  mask: null,           // ImageData of the last selection mask (grey levels in the red channel)
  canUndo: false,
  canRedo: false,
  busy: 0,
  overlays: 0,          // overlays drawn so far (the browser test waits on it)
  clickMs: [],          // click-to-overlay times, for the stats line and the browser test
  serverMs: [],         // the server's own time for each of those clicks (X-Select-Ms)
  serverStages: [],     // each click's Server-Timing stages, { parse, wait, decoder, refine, encode } in ms
  drag: null,
  bgImageId: null,
  lastInfo: '',
};
window.segplug = state;

// ---------- server calls ----------

async function api(method, path, { body, accept = 'application/json', raw = false, contentType } = {}) {
  const headers = { Authorization: 'Bearer ' + token, Accept: accept };
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  } else if (contentType) headers['Content-Type'] = contentType;
  const r = await fetch(path, { method, headers, body: payload });
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try { message = (await r.json()).error || message; } catch { /* not JSON */ }
    if (r.status === 401) message = 'This page needs its access token: open the exact address that segplug serve printed (it ends with #token=…). ' + message;
    const e = new Error(message); e.status = r.status; throw e;
  }
  if (raw) return r;
  return accept.startsWith('image/') ? r.blob() : r.json();
}

function say(text, isError = false) {
  const m = $('message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

async function guarded(fn) {
  state.busy++;
  document.body.classList.add('busy');
  try { return await fn(); }
  catch (e) { say(e.message, true); console.error(e); }
  finally {
    state.busy--;
    if (state.busy === 0) document.body.classList.remove('busy');
    refreshButtons();
  }
}

// ---------- opening images ----------

async function upload(file) {
  if (!file) return;
  say(`Opening ${file.name}…`);
  const info = await api('POST', '/api/images?name=' + encodeURIComponent(file.name), { body: file, contentType: file.type || 'application/octet-stream' });
  await listImages(info.id);
  await show(info);
}

async function listImages(selectId) {
  const { images } = await api('GET', '/api/images');
  const sel = $('images');
  sel.innerHTML = '';
  for (const i of images) {
    if (i.id === state.bgImageId) continue;
    const o = document.createElement('option');
    o.value = i.id; o.textContent = `${i.name} (${i.width}×${i.height})`;
    sel.appendChild(o);
  }
  sel.hidden = sel.options.length < 2;
  if (selectId) sel.value = selectId;
  return images.filter((i) => i.id !== state.bgImageId);
}

async function show(info) {
  state.image = info;
  state.object = { points: [], box: null };
  state.mask = null;
  $('empty').hidden = true;
  $('frame').hidden = false;
  const blob = await api('GET', `/api/images/${info.id}/image`, { accept: 'image/png' });
  const bitmap = await createImageBitmap(blob);
  const pic = $('picture'), ov = $('overlay');
  pic.width = ov.width = info.width;
  pic.height = ov.height = info.height;
  pic.getContext('2d').drawImage(bitmap, 0, 0);
  fit();
  ov.getContext('2d').clearRect(0, 0, ov.width, ov.height);
  document.title = `${info.name} · Magic select`;
  await waitUntilReady(info);
  const s = await api('GET', `/api/images/${info.id}?proposalMasks=0`);
  await syncState(s);
  await redrawMask();
  say(`${info.name}: click the object you want to select.`);
}

async function waitUntilReady(info) {
  const box = $('progress');
  box.hidden = false;
  try {
    for (;;) {
      const s = await api('GET', `/api/images/${info.id}?proposalMasks=0`);
      if (s.ready) return;
      const pct = Math.min(95, Math.round(100 * s.elapsedMs / Math.max(1, s.expectedMs)));
      $('progress-bar').style.width = pct + '%';
      $('progress-text').textContent = `Preparing the image (once per image)… ${pct}%`;
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    $('progress-bar').style.width = '100%';
    box.hidden = true;
  }
}

// ---------- selecting ----------

function finishQuery() {
  // The matte makes its own soft edge: feather and the guided filter are off while it is on.
  const m = $('matte').checked;
  const g = +$('grow').value, f = m ? 0 : +$('feather').value, e = !m && $('edges').checked;
  return {
    grow: g, feather: f, edges: e, matte: m,
    query: `grow=${g}&feather=${f}&edges=${e ? 1 : 0}&matte=${m ? 1 : 0}`, none: g === 0 && f === 0 && !e && !m,
  };
}

/** Server-Timing "name;dur=ms, ..." as { name: ms }. */
function stages(header) {
  const out = {};
  for (const part of (header || '').split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.map((x) => x.trim()).find((x) => x.startsWith('dur='));
    if (name && dur) out[name] = (out[name] || 0) + Number(dur.slice(4));
  }
  return out;
}

async function select(points, box, started) {
  const id = state.image.id;
  say('Selecting…');
  const r = await api('POST', `/api/images/${id}/select`, { body: { points: points.map((p) => [p.x, p.y, p.include ? 1 : 0]), box, op: state.mode }, accept: 'image/png', raw: true });
  state.serverMs.push(Number(r.headers.get('X-Select-Ms')));
  state.serverStages.push(stages(r.headers.get('Server-Timing')));
  const blob = await r.blob();
  state.object = { points, box };
  await showMaskBlob(blob);
  // The answer's headers say what the panel shows, so a click costs one request.
  const score = r.headers.get('X-Score');
  await syncState({
    width: state.image.width, height: state.image.height, area: Number(r.headers.get('X-Area')),
    score: score == null ? null : Number(score), canUndo: r.headers.get('X-Can-Undo') === '1', canRedo: r.headers.get('X-Can-Redo') === '1',
  });
  const ms = performance.now() - started;
  state.clickMs.push(ms);
  stats(ms);
  say(points.some((p) => !p.include)
    ? 'Click to add a missing part, Alt-click or right-click to leave out another, Undo to step back.'
    : 'Selected. Alt-click or right-click a part to leave it out; click a missing part to add it.');
}

async function showMaskBlob(blob) {
  const f = finishQuery();
  // Grow, feather and edge refinement are previewed as they will be exported.
  if (!f.none) blob = await api('GET', `/api/images/${state.image.id}/mask?${f.query}`, { accept: 'image/png' });
  const bitmap = await createImageBitmap(blob);
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0);
  state.mask = g.getImageData(0, 0, bitmap.width, bitmap.height);
  drawOverlay();
}

async function redrawMask() {
  if (!state.image) return;
  const blob = await api('GET', `/api/images/${state.image.id}/mask?${finishQuery().query}`, { accept: 'image/png' });
  await showMaskBlob(blob);
}

function drawOverlay() {
  const ov = $('overlay');
  const g = ov.getContext('2d');
  const w = ov.width, h = ov.height;
  const out = g.createImageData(w, h);
  const o = out.data;
  if (state.mask) {
    const m = state.mask.data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x, a = m[i * 4];
        if (a === 0) continue;
        const k = i * 4;
        const inside = a >= 128;
        const edge = inside && (x === 0 || y === 0 || x === w - 1 || y === h - 1
          || m[k - 4] < 128 || m[k + 4] < 128 || m[k - w * 4] < 128 || m[k + w * 4] < 128);
        if (edge) { o[k] = 255; o[k + 1] = 214; o[k + 2] = 10; o[k + 3] = 255; }
        else { o[k] = 30; o[k + 1] = 120; o[k + 2] = 255; o[k + 3] = Math.round(a * 0.45); }
      }
    }
  }
  g.putImageData(out, 0, 0);
  drawMarks(g);
  state.overlays++;
  document.body.dataset.overlays = String(state.overlays);
}

function drawMarks(g) {
  const scale = $('overlay').width / $('overlay').getBoundingClientRect().width || 1;
  const r = 6 * scale;
  g.lineWidth = 2 * scale;
  if (state.object.box) {
    const [x0, y0, x1, y1] = state.object.box;
    g.setLineDash([6 * scale, 4 * scale]);
    g.strokeStyle = '#ffd60a';
    g.strokeRect(x0, y0, x1 - x0, y1 - y0);
    g.setLineDash([]);
  }
  for (const p of state.object.points) {
    g.beginPath();
    g.arc(p.x, p.y, r, 0, 2 * Math.PI);
    g.fillStyle = p.include ? '#1fbf5b' : '#e5383b';
    g.fill();
    g.strokeStyle = '#fff';
    g.stroke();
    g.beginPath();
    g.moveTo(p.x - r / 2, p.y); g.lineTo(p.x + r / 2, p.y);
    if (p.include) { g.moveTo(p.x, p.y - r / 2); g.lineTo(p.x, p.y + r / 2); }
    g.stroke();
  }
}

function drawDragBox() {
  drawOverlay();
  const d = state.drag;
  if (!d || !d.moved) return;
  const g = $('overlay').getContext('2d');
  const scale = $('overlay').width / $('overlay').getBoundingClientRect().width || 1;
  g.lineWidth = 2 * scale;
  g.setLineDash([6 * scale, 4 * scale]);
  g.strokeStyle = '#ffd60a';
  g.strokeRect(Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0));
  g.setLineDash([]);
}

async function syncState(s) {
  state.canUndo = s.canUndo;
  state.canRedo = s.canRedo;
  const pct = s.width && s.height ? (100 * s.area / (s.width * s.height)) : 0;
  state.lastInfo = s.area > 0 ? `Selected ${pct.toFixed(1)}% of the image` + (s.score != null ? ` · model's confidence ${Math.min(100, s.score * 100).toFixed(0)}%` : '') : 'Nothing selected';
  stats();
  refreshButtons();
  return s;
}

function stats(ms) {
  const sorted = [...state.clickMs].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
  $('stats').textContent = state.lastInfo + (ms != null ? ` · last click ${Math.round(ms)} ms` : '') + (median != null ? ` · median ${Math.round(median)} ms` : '');
}

function refreshButtons() {
  const has = !!state.image;
  $('undo').disabled = !has || !state.canUndo;
  $('redo').disabled = !has || !state.canRedo;
  for (const id of ['new-object', 'subject', 'clear', 'export-mask', 'export-cutout', 'export-bg', 'save-clicks', 'copy-recipe']) $(id).disabled = !has;
  const n = state.object.points.length + (state.object.box ? 1 : 0);
  $('object-hint').textContent = n === 0
    ? (state.mode === 'replace' ? 'Your next click starts a new selection.' : `Your next click starts an object that ${state.mode}s.`)
    : `Clicks refine the current object (${[
      state.object.points.length ? `${state.object.points.length} click${state.object.points.length === 1 ? '' : 's'}` : '',
      state.object.box ? 'a box' : ''].filter(Boolean).join(' and ')}). Press New object for another.`;
}

/** Shows the image as large as the stage allows (up to twice its size), so clicks can be precise. */
function fit() {
  if (!state.image) return;
  const stage = $('stage');
  const w = state.image.width, h = state.image.height;
  const scale = Math.min(2, (stage.clientWidth - 24) / w, (stage.clientHeight - 24) / h);
  $('picture').style.width = Math.max(1, Math.floor(w * scale)) + 'px';
  $('picture').style.height = Math.max(1, Math.floor(h * scale)) + 'px';
}

function toImage(e) {
  const r = $('overlay').getBoundingClientRect();
  const w = state.image.width, h = state.image.height;
  const x = Math.min(w, Math.max(0, (e.clientX - r.left) / r.width * w));
  const y = Math.min(h, Math.max(0, (e.clientY - r.top) / r.height * h));
  return { x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 };
}

function onPointerDown(e) {
  if (!state.image || state.busy) return;
  e.preventDefault();
  const p = toImage(e);
  state.drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y, sx: e.clientX, sy: e.clientY, moved: false, exclude: e.altKey || e.button === 2 };
  $('overlay').setPointerCapture(e.pointerId);
}

function onPointerMove(e) {
  const d = state.drag;
  if (!d) return;
  const p = toImage(e);
  d.x1 = p.x; d.y1 = p.y;
  if (Math.hypot(e.clientX - d.sx, e.clientY - d.sy) > 6) d.moved = true;
  if (d.moved) drawDragBox();
}

function onPointerUp(e) {
  const d = state.drag;
  if (!d) return;
  state.drag = null;
  const started = performance.now();
  if (d.moved && !d.exclude) {
    const box = [Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.max(d.x0, d.x1), Math.max(d.y0, d.y1)];
    // A box starts a new object; later clicks refine it inside the box.
    guarded(() => select([], box, started));
  } else {
    const p = toImage(e);
    const points = [...state.object.points, { x: p.x, y: p.y, include: !d.exclude }];
    guarded(() => select(points, state.object.box, started));
  }
}

// ---------- history, subject, finishing ----------

async function history(kind) {
  const id = state.image.id;
  const s = await syncState(await api('POST', `/api/images/${id}/${kind}?proposalMasks=0`));
  state.object = s.op === state.mode
    ? { points: (s.points || []).map(([x, y, l]) => ({ x, y, include: l === 1 })), box: s.box || null }
    : { points: [], box: null };
  await redrawMask();
}

function newObject() {
  state.object = { points: [], box: null };
  drawOverlay();
  refreshButtons();
}

async function selectSubject() {
  say('Finding the main subject…');
  await api('POST', `/api/images/${state.image.id}/subject`, { body: { op: state.mode } });
  state.object = { points: [], box: null };
  await syncState(await api('GET', `/api/images/${state.image.id}?proposalMasks=0`));
  await redrawMask();
  say('Subject selected. Click to refine it as a new object, or change the edge on the right.');
}

let finishTimer = 0;
function onFinishChanged() {
  const m = $('matte').checked;
  $('feather').disabled = m;
  $('edges').disabled = m;
  if (m) say('Refining the edge with a matte (hair, fur): it takes a moment, once per selection.');
  const g = +$('grow').value;
  $('grow-out').textContent = g > 0 ? `grow ${g} px` : g < 0 ? `shrink ${-g} px` : '0 px';
  $('feather-out').textContent = `${$('feather').value} px`;
  clearTimeout(finishTimer);
  finishTimer = setTimeout(() => state.image && guarded(async () => {
    await redrawMask();
    if (m) say('Edge refined with a matte: the exports use its soft edge and, for the cut-out, its foreground colours.');
  }), 150);
}

// ---------- exports ----------

function stem() { return state.image.name.replace(/\.[^.]*$/, ''); }

function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

async function exportMask() {
  const blob = await api('GET', `/api/images/${state.image.id}/mask?${finishQuery().query}`, { accept: 'image/png' });
  download(blob, `${stem()}-mask.png`);
  say(`Saved ${stem()}-mask.png to your downloads.`);
}

async function exportCutout(withBackground) {
  const f = finishQuery();
  const body = { grow: f.grow, feather: f.feather, edges: f.edges, matte: f.matte };
  if (withBackground) {
    const type = $('bg-type').value;
    if (type === 'color') body.background = { type, color: $('bg-color').value };
    else if (type === 'blur') body.background = { type, sigma: +$('bg-blur').value };
    else {
      if (!state.bgImageId) { say('Choose the background picture first (Picture… next to the list).', true); return; }
      body.background = { type, image: state.bgImageId };
    }
  }
  const blob = await api('POST', `/api/images/${state.image.id}/cutout`, { body, accept: 'image/png' });
  const name = `${stem()}-${withBackground ? 'background' : 'cutout'}.png`;
  download(blob, name);
  say(`Saved ${name} to your downloads.`);
}

async function chooseBackground(file) {
  if (!file) return;
  const info = await api('POST', '/api/images?name=' + encodeURIComponent(file.name), { body: file, contentType: file.type || 'application/octet-stream' });
  state.bgImageId = info.id;
  $('bg-image-label').firstChild.textContent = `${file.name} `;
  await listImages(state.image.id);
  say(`Background picture: ${file.name}. Press Export with background.`);
}

async function saveClicks() {
  const r = await api('GET', `/api/images/${state.image.id}/points`, { raw: true });
  const text = await r.text();
  download(new Blob([text], { type: 'application/json' }), `${stem()}.points.json`);
  say(state.object.box
    ? `Saved ${stem()}.points.json: put it next to the photo for recipes/refine-with-points.csx.`
    : `Saved ${stem()}.points.json. recipes/refine-with-points.csx starts from a box: drag one around the object too, or run it with --arg box=x0,y0,x1,y1.`);
}

async function copyRecipe() {
  const r = await api('GET', `/api/images/${state.image.id}/recipe?${finishQuery().query}`, { raw: true });
  const text = await r.text();
  let copied = false;
  try { await navigator.clipboard.writeText(text); copied = true; } catch { /* clipboard not allowed: the dialog shows the text */ }
  $('recipe-note').textContent = (copied ? 'Copied to the clipboard. ' : 'Select and copy the text below. ')
    + 'Save it as edit.csx and run: segplug run edit.csx photos/ --out selected';
  $('recipe-text').value = text;
  $('recipe-dialog').showModal();
}

// ---------- wiring ----------

function setMode(mode) {
  state.mode = mode;
  for (const b of document.querySelectorAll('.mode')) b.classList.toggle('active', b.dataset.mode === mode);
  newObject();
}

function wire() {
  $('file').addEventListener('change', (e) => guarded(() => upload(e.target.files[0])));
  $('images').addEventListener('change', (e) => guarded(async () => {
    const images = await listImages(e.target.value);
    const info = images.find((i) => i.id === e.target.value);
    if (info) await show(info);
  }));
  const ov = $('overlay');
  ov.addEventListener('pointerdown', onPointerDown);
  ov.addEventListener('pointermove', onPointerMove);
  ov.addEventListener('pointerup', onPointerUp);
  ov.addEventListener('contextmenu', (e) => e.preventDefault());
  for (const b of document.querySelectorAll('.mode')) b.addEventListener('click', () => setMode(b.dataset.mode));
  $('new-object').addEventListener('click', newObject);
  $('undo').addEventListener('click', () => guarded(() => history('undo')));
  $('redo').addEventListener('click', () => guarded(() => history('redo')));
  $('clear').addEventListener('click', () => guarded(async () => { await api('POST', `/api/images/${state.image.id}/clear`); newObject(); await syncState(await api('GET', `/api/images/${state.image.id}?proposalMasks=0`)); await redrawMask(); }));
  $('subject').addEventListener('click', () => guarded(selectSubject));
  for (const id of ['grow', 'feather', 'edges', 'matte']) $(id).addEventListener('input', onFinishChanged);
  $('export-mask').addEventListener('click', () => guarded(exportMask));
  $('export-cutout').addEventListener('click', () => guarded(() => exportCutout(false)));
  $('export-bg').addEventListener('click', () => guarded(() => exportCutout(true)));
  $('bg-type').addEventListener('change', () => {
    const t = $('bg-type').value;
    $('bg-color').hidden = t !== 'color';
    $('bg-blur').hidden = t !== 'blur';
    $('bg-image-label').hidden = t !== 'image';
  });
  $('bg-image').addEventListener('change', (e) => guarded(() => chooseBackground(e.target.files[0])));
  $('save-clicks').addEventListener('click', () => guarded(saveClicks));
  $('copy-recipe').addEventListener('click', () => guarded(copyRecipe));
  $('recipe-close').addEventListener('click', () => $('recipe-dialog').close());

  document.addEventListener('keydown', (e) => {
    if (!state.image || e.target.tagName === 'TEXTAREA') return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'z' && !e.shiftKey && state.canUndo) { e.preventDefault(); guarded(() => history('undo')); }
    else if (mod && ((e.key.toLowerCase() === 'z' && e.shiftKey) || e.key.toLowerCase() === 'y') && state.canRedo) { e.preventDefault(); guarded(() => history('redo')); }
    else if (e.key === 'Escape') newObject();
  });

  // Drop a file anywhere on the page.
  let depth = 0;
  document.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; document.body.classList.remove('dragging'); } });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) guarded(() => upload(file));
  });
  window.addEventListener('resize', () => { if (state.image) { fit(); drawOverlay(); } });
}

async function start() {
  wire();
  refreshButtons();
  if (!token) {
    say('This page needs its access token: open the exact address that segplug serve printed (it ends with #token=…).', true);
    return;
  }
  await guarded(async () => {
    const images = await listImages();
    if (images.length > 0) await show(images[0]);
    else say('Open a photo to start.');
  });
}

start();
