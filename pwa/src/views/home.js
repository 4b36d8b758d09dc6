import { api, getSession, setSession } from '../api.js';
import { destroyDb } from '../db.js';
import { getLang, setLang, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import * as ref from '../refcache.js';
import { myOpenActions } from './fixes.js';
import { download, formatTime, h, render, toast } from '../ui.js';

export async function home({ session }) {
  const [unsent, rooms, assets, templates, actions, lastSync] = await Promise.all([
    outbox.unsent(), ref.count('room'), ref.count('asset'), ref.count('template'),
    myOpenActions(session), ref.getMeta('last_sync'),
  ]);
  const tile = (href, title, sub, id) => h('a', { class: 'tile', href, id }, title, h('small', {}, sub));
  const roles = session.user.roles || [];
  render(
    h('div', { class: 'tiles' },
      tile('#/scan', t('home_scan'), t('home_scan_sub'), 'tile-scan'),
      (roles.includes('auditor') || roles.includes('admin'))
        && tile('#/stocktake', t('home_stocktake'), t('home_stocktake_sub'), 'tile-stocktake'),
      tile('#/fixes', t('home_fixes'), t('home_fixes_sub', { n: actions.length }), 'tile-fixes'),
      tile('#/outbox', t('home_outbox'), t('home_outbox_sub', { n: unsent.total }), 'tile-outbox'),
      tile('#/settings', t('home_settings'), t('home_settings_sub'), 'tile-settings')),
    h('p', { class: 'muted', id: 'last-sync' }, lastSync ? t('last_sync', { t: formatTime(lastSync) }) : t('never_synced')),
    h('p', { class: 'muted', id: 'ref-counts' }, t('ref_counts', { rooms, assets, templates })),
    document.body.dataset.persisted === '0' ? h('p', { class: 'muted' }, t('persist_denied')) : null,
  );
}

/** The server's field errors as lines the inspector can read: "answers › rodent_signs: a failed item needs a photo". */
export function reasons(errors, path = []) {
  if (errors === null || errors === undefined) return [];
  if (typeof errors === 'string') return [`${path.join(' › ')}${path.length ? ': ' : ''}${errors}`];
  if (Array.isArray(errors)) return errors.flatMap((e) => reasons(e, path));
  return Object.entries(errors).flatMap(([key, value]) => reasons(value, key === '_schema' ? path : [...path, key]));
}

const STATE_TAG = { pending: '', rejected: 'red', conflict: 'red' };

export async function outboxView() {
  const items = await outbox.listOutbox();
  const { photos } = await outbox.unsent();
  const list = h('ul', { class: 'list', id: 'outbox-list' }, items.map((item) => h('li', {
    class: item.state, dataset: { uuid: item.uuid, type: item.type, state: item.state },
  },
  h('div', { class: 'row' },
    h('strong', { class: 'grow' }, item.summary?.title || item.type),
    h('span', { class: `tag ${STATE_TAG[item.state]}` }, t(`state_${item.state}`))),
  h('div', { class: 'muted' }, [item.summary?.subtitle, formatTime(item.recorded_at)].filter(Boolean).join(' · ')),
  item.state !== 'pending' && h('ul', { class: 'error reasons' }, reasons(item.errors).map((r) => h('li', {}, r))),
  item.state === 'pending' && item.last_error && h('div', { class: 'muted' }, item.last_error),
  item.state !== 'pending' && h('button', {
    class: 'btn secondary', type: 'button',
    onclick: async () => {
      await outbox.dismiss(item.uuid);
      outboxView();
    },
  }, t('dismiss')))));
  render(
    h('h1', {}, t('outbox_title')),
    items.length ? list : h('p', { class: 'muted' }, t('outbox_empty')),
    photos ? h('p', { class: 'muted', id: 'photos-pending' }, t('photos_pending', { n: photos })) : null,
    h('button', { class: 'btn secondary block', type: 'button', id: 'export-btn', onclick: exportFile }, t('export')),
  );
}

export async function exportFile() {
  const data = await outbox.exportUnsent();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  download(`xunjian-unsent-${stamp}.json`, JSON.stringify(data, null, 1));
}

async function refuseIfUnsent(what) {
  const { total } = await outbox.unsent();
  if (total > 0) {
    toast(t('refuse_unsent', { n: total, what }), 'warn');
    return true;
  }
  return false;
}

export async function settings({ navigate }) {
  const langSelect = h('select', {
    class: 'input', id: 'lang-select',
    onchange: () => {
      setLang(langSelect.value);
      window.location.reload();
    },
  }, h('option', { value: 'zh' }, '简体中文'), h('option', { value: 'en' }, 'English'));
  langSelect.value = getLang();
  const version = h('p', { class: 'muted', id: 'app-version' }, '');
  navigator.serviceWorker?.controller?.postMessage({ type: 'version' });
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'version') version.textContent = `v ${event.data.version}`;
  }, { once: true });
  render(
    h('h1', {}, t('settings_title')),
    h('label', { class: 'field' }, t('language'), langSelect),
    h('button', {
      class: 'btn secondary block', type: 'button', id: 'logout-btn',
      onclick: async () => {
        if (await refuseIfUnsent(t('logout'))) return;
        try {
          await api.logout();
        } catch {
          // offline or already revoked: the token is forgotten here either way
        }
        const session = await getSession();
        await setSession(session ? { user: session.user, token: null } : null);
        toast(t('logged_out'));
        navigate('#/login');
      },
    }, t('logout')),
    h('button', {
      class: 'btn danger block', type: 'button', id: 'clear-btn',
      onclick: async () => {
        if (await refuseIfUnsent(t('clear'))) return;
        if (!window.confirm(t('confirm_clear'))) return;
        await destroyDb();
        window.location.replace('/app/');
      },
    }, t('clear')),
    h('button', { class: 'btn secondary block', type: 'button', onclick: exportFile }, t('export')),
    version,
  );
}
