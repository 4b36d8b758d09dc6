// The inspection form, drawn from the pulled template version. Every change is saved as a draft,
// so closing the app mid-round loses nothing; submit queues one record in the outbox.
import { pick, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { takePhoto } from '../photo.js';
import * as ref from '../refcache.js';
import { blobImage, h, render, toast } from '../ui.js';

/** Normalise one template item to what the form needs, whatever optional fields the template leaves out. */
export function normaliseItem(item, index) {
  return {
    key: String(item.key ?? item.id ?? item.code ?? index),
    text: pick(item, 'text') || pick(item, 'label') || pick(item, 'name') || pick(item, 'title'),
    hint: pick(item, 'hint') || pick(item, 'help'),
    kind: item.kind || item.type || 'pass_fail',
    points: Number(item.points ?? item.deduction ?? item.weight ?? 0) || 0,
    max: item.max ?? item.max_points ?? item.max_score ?? null,
    min: item.min ?? item.min_value ?? null,
    maxValue: item.max_value ?? null,
    unit: item.unit || '',
    choices: item.choices || item.options || [],
    photoOnFail: Boolean(item.photo_required_on_fail ?? item.require_photo_on_fail ?? item.photo_on_fail),
    noteOnFail: Boolean(item.note_required_on_fail ?? item.require_note_on_fail ?? item.note_on_fail),
    hazard: Boolean(item.hazard ?? item.is_hazard),
    section: pick(item, 'section') || pick(item, 'group'),
  };
}

export function templateItems(tpl) {
  return (tpl.data.items || []).map(normaliseItem);
}

/** Score as the phone sees it (the server computes its own and flags a mismatch). */
export function liveScore(tpl, items, answers) {
  const hasScores = items.some((it) => it.kind === 'score');
  const base = hasScores ? 0 : Number(tpl.data.max_score ?? tpl.data.total ?? 100);
  let score = base;
  for (const it of items) {
    const a = answers[it.key] || {};
    if (it.kind === 'score') score += Number(a.value || 0);
    else if (it.kind === 'deduction') score -= Number(a.value || 0);
    else if (a.result === 'fail') score -= it.points;
  }
  return Math.max(0, Math.round(score * 10) / 10);
}

function isScored(tpl, items) {
  return Boolean(tpl.data.scored ?? tpl.data.max_score ?? items.some((it) => it.kind === 'score' || it.kind === 'deduction'
    || it.points > 0));
}

/** Templates (latest version of each) that apply to this room or asset. */
export async function applicableTemplates(type, obj) {
  const latest = new Map();
  for (const tpl of await ref.all('template')) {
    const d = tpl.data;
    if (d.active === false || d.retired || d.status === 'retired') continue;
    const kinds = d.room_kinds || d.applies_to || d.target_kinds || null;
    const target = type === 'room' ? obj.data.kind : 'asset';
    if (kinds && kinds.length && !kinds.includes(target) && !kinds.includes(type)) continue;
    const family = d.template_id ?? d.code ?? tpl.id;
    const prev = latest.get(family);
    if (!prev || Number(d.version ?? tpl.version) > Number(prev.data.version ?? prev.version)) latest.set(family, tpl);
  }
  return [...latest.values()];
}

function missingFor(items, answers) {
  const missing = [];
  for (const it of items) {
    const a = answers[it.key] || {};
    if (it.kind === 'pass_fail' && !a.result) missing.push({ key: it.key, why: 'result' });
    if (a.result === 'fail' && it.photoOnFail && !(a.photos || []).length) missing.push({ key: it.key, why: 'photo' });
    if (a.result === 'fail' && it.noteOnFail && !(a.note || '').trim()) missing.push({ key: it.key, why: 'note' });
  }
  return missing;
}

export async function inspect({ params, query, navigate }) {
  const [templateId, targetType, targetId] = params;
  const tpl = await ref.get('template', templateId);
  const target = await ref.get(targetType, targetId);
  if (!tpl || !target) {
    render(h('p', { class: 'error' }, t('label_not_cached', { code: query.code || targetId })));
    return;
  }
  const items = templateItems(tpl);
  const draftId = `inspection:${templateId}:${targetType}:${targetId}`;
  const draft = await outbox.getDraft(draftId);
  const state = draft?.state || { answers: {}, note: '', entry: query.entry || 'typed', code: query.code || null,
    started_at: outbox.localTimestamp() };
  const scored = isScored(tpl, items);
  const scoreValue = h('span', { id: 'live-score' });
  const missingLine = h('div', { class: 'need', id: 'missing' });

  let saveTimer = null;
  const save = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => outbox.saveDraft({ id: draftId, kind: 'inspection', state }), 200);
  };
  const refresh = () => {
    scoreValue.textContent = String(liveScore(tpl, items, state.answers));
    const missing = missingFor(items, state.answers);
    missingLine.textContent = missing.length ? t('required_missing', { n: missing.length }) : '';
    for (const it of items) {
      const card = document.querySelector(`[data-item="${CSS.escape(it.key)}"]`);
      card?.classList.toggle('failed', state.answers[it.key]?.result === 'fail');
    }
  };
  const answer = (key) => {
    state.answers[key] = state.answers[key] || {};
    return state.answers[key];
  };

  const itemCard = (it) => {
    const a = answer(it.key);
    const extra = h('div', { class: 'fail-extra' });
    const photoRow = h('div', { class: 'photos' });
    const drawPhotos = async () => {
      photoRow.replaceChildren();
      for (const hash of a.photos || []) {
        const p = await outbox.getPhoto(hash);
        if (p) photoRow.append(blobImage(p.blob, t('add_photo')));
      }
    };
    const fileInput = h('input', {
      type: 'file', accept: 'image/*', capture: 'environment', class: 'photo-input',
      onchange: async () => {
        for (const file of fileInput.files) {
          const hash = await takePhoto(file);
          a.photos = [...new Set([...(a.photos || []), hash])];
        }
        fileInput.value = '';
        save();
        refresh();
        drawPhotos();
      },
    });
    const note = h('textarea', { class: 'input note', placeholder: t('note'), value: a.note || '',
      oninput: () => { a.note = note.value; save(); refresh(); } });
    const needs = [it.photoOnFail && t('photo_required'), it.noteOnFail && t('note_required')].filter(Boolean).join(' · ');
    extra.append(
      needs ? h('div', { class: 'need' }, needs) : '',
      note,
      h('div', { class: 'row' }, h('label', { class: 'btn secondary photo-btn' }, t('add_photo'), fileInput)),
      photoRow);
    drawPhotos();

    let control;
    if (it.kind === 'pass_fail') {
      const buttons = ['pass', 'fail', 'na'].map((value) => h('button', {
        type: 'button', class: value, 'aria-pressed': String(a.result === value), dataset: { value },
        onclick: () => {
          a.result = value;
          for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.value === value));
          extra.hidden = value !== 'fail' && !(a.photos || []).length && !a.note;
          save();
          refresh();
        },
      }, t(value)));
      control = h('div', { class: 'toggle' }, buttons);
      extra.hidden = a.result !== 'fail' && !(a.photos || []).length && !a.note;
    } else if (it.kind === 'score' || it.kind === 'deduction' || it.kind === 'number') {
      const input = h('input', { class: 'input', type: 'number', inputmode: 'decimal', step: 'any',
        min: it.kind === 'number' ? it.min ?? undefined : 0,
        max: it.kind === 'number' ? it.maxValue ?? undefined : it.max ?? it.points ?? undefined,
        value: a.value ?? '',
        oninput: () => {
          a.value = input.value === '' ? null : Number(input.value);
          if (it.kind === 'deduction') a.result = a.value > 0 ? 'fail' : 'pass';
          if (it.kind === 'number') {
            const bad = (it.min !== null && a.value < it.min) || (it.maxValue !== null && a.value > it.maxValue);
            a.result = a.value === null ? undefined : bad ? 'fail' : 'pass';
          }
          extra.hidden = a.result !== 'fail';
          save();
          refresh();
        } });
      const label = it.kind === 'score' ? t('score') : it.kind === 'deduction' ? t('deduct') : t('value');
      const range = it.kind === 'number' ? `${it.min ?? ''}–${it.maxValue ?? ''} ${it.unit}` : `≤ ${it.max ?? it.points}`;
      control = h('label', { class: 'field' }, `${label} (${range})`, input);
      extra.hidden = a.result !== 'fail';
    } else if (it.kind === 'choice') {
      const select = h('select', { class: 'input', onchange: () => { a.value = select.value; save(); } },
        h('option', { value: '' }, '—'), it.choices.map((c) => h('option', { value: c.value ?? c }, pick(c, 'text') || c)));
      select.value = a.value ?? '';
      control = select;
    } else {
      control = null; // text and photo items: the note and photo fields below are the answer
      extra.hidden = false;
    }
    return h('div', { class: 'item', dataset: { item: it.key, kind: it.kind } },
      it.section ? h('div', { class: 'item-hint' }, it.section) : null,
      h('div', { class: 'item-title' }, it.text, it.hazard ? h('span', { class: 'tag red' }, ` ${t('hazard')}`) : ''),
      it.hint ? h('div', { class: 'item-hint' }, it.hint) : null,
      control, extra);
  };

  const submit = h('button', {
    class: 'btn block', type: 'button', id: 'submit-inspection',
    onclick: async () => {
      const missing = missingFor(items, state.answers);
      if (missing.length) {
        refresh();
        document.querySelector(`[data-item="${CSS.escape(missing[0].key)}"]`)?.scrollIntoView();
        toast(t('required_missing', { n: missing.length }), 'warn');
        return;
      }
      clearTimeout(saveTimer);
      const answers = items.map((it) => {
        const a = state.answers[it.key] || {};
        return { key: it.key, result: a.result ?? null, value: a.value ?? null, note: (a.note || '').trim() || null,
          photos: a.photos || [] };
      });
      const photos = [...new Set(answers.flatMap((a) => a.photos))];
      const data = {
        template_id: tpl.data.template_id ?? tpl.id,
        template_version: tpl.data.version ?? tpl.version,
        template_version_id: tpl.id,
        target_type: targetType,
        target_id: Number.isNaN(Number(targetId)) ? targetId : Number(targetId),
        [`${targetType}_id`]: Number.isNaN(Number(targetId)) ? targetId : Number(targetId),
        entry: state.entry, // scanned | typed | link: how the inspector reached the room
        label_code: state.code || null,
        started_at: state.started_at,
        note: state.note || null,
        answers,
        photos,
        score: scored ? liveScore(tpl, items, state.answers) : null,
      };
      await outbox.enqueue({
        type: 'inspection', data, photos, draftId,
        summary: { title: pick(tpl.data), subtitle: target.data.name },
      });
      toast(t('submitted'));
      window.dispatchEvent(new CustomEvent('xunjian:queued'));
      navigate('#/');
    },
  }, t('submit'));

  render(
    h('p', { class: 'muted' }, target.data.name, ' · ', h('span', { class: 'tag', id: 'entry-tag' }, t(`entry_${state.entry}`))),
    h('h1', {}, pick(tpl.data)),
    draft ? h('p', { class: 'ok', id: 'draft-restored' }, t('draft_restored')) : null,
    h('div', { id: 'items' }, items.map(itemCard)),
    h('label', { class: 'field' }, t('note'), h('textarea', { class: 'input', id: 'inspection-note', value: state.note,
      oninput: (e) => { state.note = e.target.value; save(); } })),
    scored ? h('div', { class: 'score' }, h('span', {}, t('score')), scoreValue) : null,
    missingLine,
    submit,
    draft ? h('button', { class: 'btn secondary block', type: 'button', onclick: async () => {
      await outbox.deleteDraft(draftId);
      navigate('#/');
    } }, t('discard_draft')) : null,
  );
  refresh();
}
