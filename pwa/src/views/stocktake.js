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
  const s = st.data.status;
  return !s || s === 'open' || s === 'in_progress' || s === 'active';
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

/** Asset ids expected in a room for this stocktake: its own list if it sent one, else the book. */
async function expectedByRoom(st) {
  const byRoom = new Map();
  const add = (roomId, assetId) => {
    const key = String(roomId ?? '');
    if (!byRoom.has(key)) byRoom.set(key, new Set());
    byRoom.get(key).add(String(assetId));
  };
  const listed = st.data.expected || st.data.items || st.data.expected_assets;
  if (Array.isArray(listed) && listed.length) {
    for (const e of listed) add(e.room_id ?? e.expected_room_id, e.asset_id ?? e.id);
  } else {
    const roomScope = st.data.room_ids ? new Set(st.data.room_ids.map(String)) : null;
    for (const a of await ref.all('asset')) {
      if (a.data.status === 'scrapped') continue;
      if (roomScope && !roomScope.has(String(a.data.room_id))) continue;
      add(a.data.room_id, a.id);
    }
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
          data: { stocktake_id: st.id, asset_id: null, label_code: code, room_id: room ? Number(room.id) : null,
            condition: 'good', note: desc.value.trim() || null, photos: photo ? [photo] : [], entry: 'scanned' },
          summary: { title: t('unknown_label', { code }), subtitle: room?.data?.name || '' },
        });
        unknownBox.replaceChildren();
        logLine(t('unknown_label', { code }), 'dup');
        resumeScanner();
      } }, t('record_unknown'))));
  };

  const onCode = async ({ code, kind, entry }) => {
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
      data: { stocktake_id: Number.isNaN(Number(st.id)) ? st.id : Number(st.id), asset_id: Number(found.id),
        label_code: code, room_id: Number(room.id), condition: 'good', note: null, photos: [], entry },
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
    scannerPanel({ onCode, continuous: true }),
    progress, unknownBox, log,
  );
  drawProgress();
}
