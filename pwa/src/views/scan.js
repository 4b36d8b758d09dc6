import { pick, t } from '../i18n.js';
import { parseCode } from '../labelcode.js';
import { resolveCode } from '../lookup.js';
import * as ref from '../refcache.js';
import { currentDecoder, injectScan, setTorch, startScanner, torchSupported } from '../scanner.js';
import { applicableTemplates } from './inspect.js';
import { h, render } from '../ui.js';

// Tests and keyboard-wedge scanners reach the scanner boundary through this event.
window.addEventListener('xunjian:scan', (event) => injectScan(event.detail));

/** The camera box with torch button and manual entry; calls onCode({code, kind, entry}). */
export function scannerPanel({ onCode, continuous = false }) {
  const video = h('video', { autoplay: true, muted: true, playsinline: true });
  const camMsg = h('div', { class: 'cam-msg', id: 'cam-msg' }, t('camera_starting'));
  const torchBtn = h('button', { class: 'btn secondary', type: 'button', hidden: true, id: 'torch-btn' }, t('torch'));
  let torchOn = false;
  torchBtn.addEventListener('click', async () => {
    torchOn = !torchOn;
    await setTorch(torchOn).catch(() => {});
    torchBtn.setAttribute('aria-pressed', String(torchOn));
  });
  const input = h('input', { class: 'input grow', id: 'manual-code', inputmode: 'text', autocapitalize: 'characters',
    autocomplete: 'off', placeholder: 'R000Z88', maxlength: 12 });
  const err = h('div', { class: 'error', id: 'manual-error', role: 'alert' });
  const form = h('form', {
    class: 'row',
    onsubmit: (event) => {
      event.preventDefault();
      const parsed = parseCode(input.value);
      if (!parsed.ok) {
        err.textContent = t(`code_error_${parsed.error}`);
        return;
      }
      err.textContent = '';
      input.value = '';
      onCode({ ...parsed, entry: 'typed' });
    },
  }, input, h('button', { class: 'btn', type: 'submit' }, t('open')));
  startScanner(video, { onCode, continuous })
    .then(() => {
      camMsg.textContent = t('decoder', { d: currentDecoder() });
      torchBtn.hidden = !torchSupported();
    })
    .catch((exc) => {
      const why = { NotAllowedError: 'camera_denied', NotFoundError: 'camera_missing', NotReadableError: 'camera_busy' }[exc.name];
      camMsg.textContent = t('camera_none', { msg: why ? t(why) : exc.name || exc.message });
    });
  return h('div', {},
    h('div', { class: 'scanner' }, video, h('div', { class: 'frame' }), camMsg),
    h('div', { class: 'row' }, torchBtn),
    h('label', { class: 'field', for: 'manual-code' }, t('manual_code')),
    form, err);
}

export async function scan({ navigate }) {
  render(
    h('h1', {}, t('scan_title')),
    scannerPanel({
      onCode: ({ code, entry }) => navigate(`#/label/${code}?entry=${entry}`),
    }),
  );
}

/** A label code from a scan, a typed entry or a /q/ link: open its room or asset, or say why not. */
export async function label({ params, query, navigate }) {
  const parsed = parseCode(params[0]);
  const entry = query.entry || 'typed';
  if (!parsed.ok) {
    render(h('h1', {}, params[0]), h('p', { class: 'error', id: 'label-status' }, t(`code_error_${parsed.error}`)),
      h('a', { class: 'btn block', href: '#/scan' }, t('scan_title')));
    return;
  }
  const found = await resolveCode(parsed.code);
  if (found.status === 'room' || found.status === 'asset') {
    navigate(`#/item/${found.status}/${encodeURIComponent(found.id)}?entry=${entry}&code=${parsed.code}`);
    return;
  }
  const key = { replaced: 'label_replaced', unknown: 'label_unknown', not_cached: 'label_not_cached' }[found.status];
  render(
    h('h1', {}, parsed.code),
    h('p', { class: 'error', id: 'label-status', dataset: { status: found.status } }, t(key, { code: parsed.code })),
    found.replacedBy ? h('p', {}, h('a', { href: `#/label/${found.replacedBy}?entry=${entry}` }, found.replacedBy)) : null,
    h('a', { class: 'btn block', href: '#/scan' }, t('scan_title')),
  );
}

export async function item({ params, query }) {
  const [type, id] = params;
  const obj = await ref.get(type, id);
  const entry = query.entry || 'typed';
  if (!obj) {
    render(h('p', { class: 'error', id: 'label-status' }, t('label_not_cached', { code: query.code || id })));
    return;
  }
  const d = obj.data;
  const room = type === 'asset' ? await ref.get('room', d.room_id) : obj;
  const building = room ? await ref.get('building', room.data.building_id) : null;
  const templates = await applicableTemplates(type, obj);
  const qs = `?entry=${entry}&code=${query.code || ''}`;
  render(
    h('p', { class: 'muted' }, t(type), ' · ', h('span', { class: 'tag' }, t(`entry_${entry}`))),
    h('h1', { id: 'item-title' }, type === 'room' ? d.name : `${d.name} (${d.tag || ''})`),
    h('p', { class: 'muted' }, [building?.data?.name, room && type === 'asset' ? room.data.name : null,
      d.class_name, d.floor !== undefined && d.floor !== null ? `${d.floor}F` : null].filter(Boolean).join(' · ')),
    h('h2', {}, t('start_inspection')),
    templates.length
      ? h('div', {}, templates.map((tpl) => h('a', {
        class: 'btn block secondary', href: `#/inspect/${encodeURIComponent(tpl.id)}/${type}/${encodeURIComponent(id)}${qs}`,
        dataset: { template: tpl.data.family || tpl.id },
      }, pick(tpl.data))))
      : h('p', { class: 'muted' }, t('no_templates')),
  );
}
