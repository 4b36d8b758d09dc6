// My fixes (整改): pulled actions assigned to me; marking one done is an action_update record.
import { pick, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { takePhoto } from '../photo.js';
import * as ref from '../refcache.js';
import { blobImage, formatTime, h, render, toast } from '../ui.js';

const OPEN = new Set(['open', 'reopened', 'overdue', undefined, null]);

async function locallyDone() {
  const done = new Set();
  for (const j of await outbox.journal('action_update')) {
    if (j.state !== 'rejected' && j.state !== 'conflict') done.add(String(j.data.action_id));
  }
  return done;
}

export async function myOpenActions(session) {
  if (!session) return [];
  const me = String(session.user.id);
  const done = await locallyDone();
  return (await ref.all('action')).filter((a) => OPEN.has(a.data.status)
    && (a.data.assignee_id === undefined || String(a.data.assignee_id) === me) && !done.has(a.id));
}

function title(a) {
  return pick(a.data, 'title') || pick(a.data, 'item_text') || pick(a.data, 'text') || `#${a.id}`;
}

export async function fixes({ session }) {
  // Overdue first, then by deadline: what must be fixed before tonight is on top (整改不留宿).
  const actions = (await myOpenActions(session)).sort((x, y) => Number(Boolean(y.data.overdue)) - Number(Boolean(x.data.overdue))
    || String(x.data.deadline || '').localeCompare(String(y.data.deadline || '')));
  const rows = [];
  for (const a of actions) {
    const room = await ref.get('room', a.data.room_id);
    rows.push(h('li', { dataset: { action: a.id } },
      h('a', { href: `#/fix/${encodeURIComponent(a.id)}` }, h('strong', {}, title(a))),
      h('div', { class: 'muted' }, room?.data?.name || a.data.room_name || '', a.data.deadline ? ` · ${t('due', { t: formatTime(a.data.deadline) })}` : ''),
      a.data.hazard ? h('span', { class: 'tag red' }, t('hazard')) : null,
      a.data.overdue ? h('span', { class: 'tag red overdue' }, t('overdue')) : null));
  }
  render(h('h1', {}, t('fixes_title')),
    rows.length ? h('ul', { class: 'list', id: 'fix-list' }, rows) : h('p', { class: 'muted', id: 'no-fixes' }, t('fixes_none')));
}

export async function fix({ params, navigate }) {
  const a = await ref.get('action', params[0]);
  if (!a) {
    navigate('#/fixes');
    return;
  }
  const room = await ref.get('room', a.data.room_id);
  const photos = [];
  const photoRow = h('div', { class: 'photos' });
  const note = h('textarea', { class: 'input', id: 'fix-note', placeholder: t('done_note') });
  const file = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'fix-photo',
    onchange: async () => {
      for (const f of file.files) {
        const hash = await takePhoto(f);
        photos.push(hash);
        photoRow.append(blobImage((await outbox.getPhoto(hash)).blob));
      }
      file.value = '';
    } });
  render(
    h('h1', {}, title(a)),
    h('p', { class: 'muted' }, room?.data?.name || a.data.room_name || '', a.data.deadline ? ` · ${t('due', { t: formatTime(a.data.deadline) })}` : ''),
    a.data.note ? h('p', {}, a.data.note) : null,
    h('label', { class: 'field' }, t('done_note'), note),
    h('label', { class: 'btn secondary photo-btn' }, t('add_photo'), file),
    photoRow,
    h('button', { class: 'btn block', type: 'button', id: 'mark-done', onclick: async () => {
      await outbox.enqueue({
        type: 'action_update', baseVersion: a.version, photos: [...photos],
        data: { action_id: Number.isNaN(Number(a.id)) ? a.id : Number(a.id), status: 'done',
          note: note.value.trim() || null, photos: [...photos] },
        summary: { title: title(a), subtitle: t('mark_done') },
      });
      toast(t('done_saved'));
      window.dispatchEvent(new CustomEvent('xunjian:queued'));
      navigate('#/fixes');
    } }, t('mark_done')),
  );
}
