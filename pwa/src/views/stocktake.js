// Stocktake mode: scan a room's label, then every asset in it, continuously. Each counted asset is
// one stocktake_scan record; progress per room comes from this phone's journal against the expected list.
import { pick, t } from '../i18n.js';
import { resolveCode } from '../lookup.js';
import * as outbox from '../outbox.js';
import { takePhoto } from '../photo.js';
import * as ref from '../refcache.js';
import { beep, resumeScanner } from '../scanner.js';
import { scannerPanel } from './scan.js';
import { h, render, toast } from '../ui.js';

function isOpen(st) {
  return !st.data.status || st.data.status === 'open';
}

export async function stocktakeList() {
  const open = (await ref.all('stocktake')).filter(isOpen);
  render(
    h('h1', {}, t('stocktake_title')),
    open.length
      ? h('div', {}, h('p', { class: 'muted' }, t('stocktake_pick')), open.map((st) => h('a', {
        class: 'btn block secondary', href: `#/stocktake/${encodeURIComponent(st.id)}`, dataset: { stocktake: st.id },
      }, pick(st.data) || st.data.title || `#${st.id}`)))
      : h('p', { class: 'muted', id: 'no-stocktake' }, t('stocktake_none')),
  );
}

/** The server's scope rule (server/services/reconcile.py in_scope): which booked assets it expects. */
export function inScope(asset, room, st) {
  if (asset.status === 'scrapped') return false;
  const cats = st.categories || [];
  const buildings = st.building_ids || [];
  const kinds = st.room_kinds || [];
  if (cats.length && !cats.includes(asset.category)) return false;
  if (buildings.length && (!room || !buildings.includes(room.building_id))) return false;
  return !kinds.length || Boolean(room && kinds.includes(room.kind));
}

/** Expected asset ids per room (by the book's room), from the pulled ledger and the stocktake's scope. */
async function expectedByRoom(st) {
  const rooms = new Map((await ref.all('room')).map((r) => [r.id, r.data]));
  const byRoom = new Map();
  for (const a of await ref.all('asset')) {
    const roomId = a.data.room_id === null || a.data.room_id === undefined ? '' : String(a.data.room_id);
    if (!inScope(a.data, rooms.get(roomId), st.data)) continue;
    if (!byRoom.has(roomId)) byRoom.set(roomId, new Set());
    byRoom.get(roomId).add(a.id);
  }
  return byRoom;
}

async function countedAssets(stocktakeId) {
  const counted = new Map(); // asset id → room id where it was seen
  for (const j of await outbox.journal('stocktake_scan')) {
    if (String(j.data.stocktake_id) === String(stocktakeId) && j.data.asset_id !== null && j.data.asset_id !== undefined) {
      counted.set(String(j.data.asset_id), String(j.data.room_id ?? ''));
    }
  }
  return counted;
}

export async function stocktake({ params }) {
  const st = await ref.get('stocktake', params[0]);
  if (!st) {
    render(h('p', { class: 'error' }, t('stocktake_none')));
    return;
  }
  const expected = await expectedByRoom(st);
  const counted = await countedAssets(st.id);
  let room = null;

  const progress = h('div', { class: 'card', id: 'room-progress' });
  const log = h('ul', { class: 'list scan-log', id: 'scan-log' });
  const unknownBox = h('div', { id: 'unknown-box' });

  const drawProgress = () => {
    progress.replaceChildren();
    if (!room) {
      progress.append(h('p', { class: 'muted' }, t('scan_room_first')));
      return;
    }
    const want = expected.get(room.id) || new Set();
    const done = [...want].filter((id) => counted.has(id)).length;
    progress.append(
      h('div', { id: 'current-room' }, t('current_room', { room: room.data.name })),
      h('div', { id: 'progress-text', dataset: { done: String(done), expected: String(want.size) } },
        t('progress_room', { room: room.data.name, done, expected: want.size })),
      h('progress', { class: 'meter', max: String(Math.max(1, want.size)), value: String(done) }),
    );
  };
  const logLine = (text, cls = '') => {
    log.prepend(h('li', { class: cls }, text));
    while (log.children.length > 20) log.lastChild.remove();
  };

  const recordUnknown = (code) => {
    unknownBox.replaceChildren();
    const desc = h('textarea', { class: 'input', id: 'unknown-desc', placeholder: t('description') });
    let photo = null;
    const file = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'unknown-photo',
      onchange: async () => { photo = await takePhoto(file.files[0]); } });
    unknownBox.append(h('div', { class: 'card' },
      h('p', { class: 'error' }, t('unknown_label', { code })),
      desc,
      h('label', { class: 'btn secondary photo-btn' }, t('add_photo'), file),
      h('button', { class: 'btn block', type: 'button', id: 'save-unknown', onclick: async () => {
        await outbox.enqueue({
          type: 'stocktake_scan', photos: photo ? [photo] : [],
          data: { stocktake_id: Number(st.id), asset_id: null, label: code, room_id: Number(room.id),
            condition: 'good', description: desc.value.trim() || t('unknown_label', { code }),
            photos: photo ? [photo] : [] },
          summary: { title: t('unknown_label', { code }), subtitle: room?.data?.name || '' },
        });
        unknownBox.replaceChildren();
        logLine(t('unknown_label', { code }), 'dup');
        window.dispatchEvent(new CustomEvent('xunjian:queued'));
        resumeScanner();
      } }, t('record_unknown'))));
  };

  const onCode = async ({ code, kind }) => {
    const found = await resolveCode(code);
    if (kind === 'room') {
      if (found.status === 'room') {
        room = await ref.get('room', found.id);
        beep(true);
        drawProgress();
      } else {
        beep(false);
        logLine(t(found.status === 'replaced' ? 'label_replaced' : 'label_unknown', { code }), 'dup');
      }
      resumeScanner();
      return;
    }
    if (!room) {
      beep(false);
      logLine(t('scan_room_first'), 'dup');
      resumeScanner();
      return;
    }
    if (found.status !== 'asset') {
      beep(false);
      if (found.status === 'replaced') logLine(t('label_replaced', { code }), 'dup');
      else recordUnknown(code);
      return;
    }
    const asset = await ref.get('asset', found.id);
    const name = asset ? `${asset.data.name} ${asset.data.tag || ''}` : code;
    if (counted.has(found.id)) {
      beep(false);
      logLine(t('already_counted', { name }), 'dup');
      toast(t('already_counted', { name }), 'warn');
      resumeScanner();
      return;
    }
    counted.set(found.id, room.id);
    await outbox.enqueue({
      type: 'stocktake_scan',
      data: { stocktake_id: Number(st.id), asset_id: Number(found.id), label: code, room_id: Number(room.id),
        condition: 'good', note: null, photos: [] },
      summary: { title: name, subtitle: room.data.name },
    });
    beep(true);
    logLine(t('scanned_ok', { name }));
    drawProgress();
    window.dispatchEvent(new CustomEvent('xunjian:queued'));
    resumeScanner();
  };

  render(
    h('h1', {}, pick(st.data) || st.data.title || t('stocktake_title')),
    progress,
    scannerPanel({ onCode, continuous: true }),
    unknownBox, log,
  );
  drawProgress();
}
