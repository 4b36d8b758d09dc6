// The inspection form, drawn from the pulled template version. Every change is saved as a draft,
// so closing the app mid-round loses nothing; submit queues one record in the outbox.
import { pick, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { takePhoto } from '../photo.js';
import * as ref from '../refcache.js';
import { blobImage, h, render, toast } from '../ui.js';
import { applicable, isEmpty, judge, missing as missingOf, score as scoreOf } from '../checklist.js';

/** Templates that apply to this room or asset (latest published version of each). */
export async function applicableTemplates(type, obj) {
  return applicable(await ref.all('template'), type, obj.data);
}

const PROBLEM_TEXT = { photo: 'photo_required', note: 'note_required', answer: 'required_missing', range: 'required_missing' };

export async function inspect({ params, query, navigate }) {
  const [templateId, targetType, targetId] = params;
  const tpl = await ref.get('template', templateId);
  const target = await ref.get(targetType, targetId);
  if (!tpl || !target) {
    render(h('p', { class: 'error' }, t('label_not_cached', { code: query.code || targetId })));
    return;
  }
  const template = tpl.data;
  const items = template.items || [];
  const draftId = `inspection:${templateId}:${targetType}:${targetId}`;
  const draft = await outbox.getDraft(draftId);
  const state = draft?.state || {
    answers: Object.fromEntries(items.filter((it) => it.kind === 'deduction').map((it) => [it.key, { deduct: 0 }])),
    note: '', entry: query.entry || 'typed', started_at: outbox.localTimestamp(),
  };
  const scoreValue = h('span', { id: 'live-score' });
  const missingLine = h('div', { class: 'need', id: 'missing' });
  const cards = new Map();

  let saveTimer = null;
  const save = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => outbox.saveDraft({ id: draftId, kind: 'inspection', state }), 150);
  };
  const refresh = () => {
    const value = scoreOf(template, state.answers);
    scoreValue.textContent = value === null ? '—' : String(value);
    const open = missingOf(template, state.answers);
    missingLine.textContent = open.length ? t('required_missing', { n: open.length }) : '';
    for (const it of items) {
      const { outcome, problems } = judge(it, state.answers[it.key]);
      const card = cards.get(it.key);
      card.el.classList.toggle('failed', outcome === 'fail');
      card.need.textContent = outcome === 'fail' ? problems.filter((p) => p === 'photo' || p === 'note')
        .map((p) => t(PROBLEM_TEXT[p])).join(' · ') : '';
      card.extra.hidden = outcome !== 'fail' && it.kind !== 'photo' && it.kind !== 'text'
        && !(state.answers[it.key]?.photos || []).length && !state.answers[it.key]?.note;
    }
  };
  const answer = (key) => {
    state.answers[key] = state.answers[key] || {};
    return state.answers[key];
  };
  const changed = () => {
    save();
    refresh();
  };

  const itemCard = (it) => {
    const need = h('div', { class: 'need' });
    const photoRow = h('div', { class: 'photos' });
    const drawPhotos = async () => {
      photoRow.replaceChildren();
      for (const hash of state.answers[it.key]?.photos || []) {
        const p = await outbox.getPhoto(hash);
        if (p) photoRow.append(blobImage(p.blob, t('add_photo')));
      }
    };
    const fileInput = h('input', {
      type: 'file', accept: 'image/*', capture: 'environment', class: 'photo-input',
      onchange: async () => {
        const a = answer(it.key);
        for (const file of fileInput.files) {
          const hash = await takePhoto(file);
          a.photos = [...new Set([...(a.photos || []), hash])];
        }
        fileInput.value = '';
        changed();
        drawPhotos();
      },
    });
    const note = h('textarea', { class: 'input note', placeholder: t('note'), value: state.answers[it.key]?.note || '',
      oninput: () => {
        answer(it.key).note = note.value;
        changed();
      } });
    const extra = h('div', { class: 'fail-extra' }, need, note,
      h('div', { class: 'row' }, h('label', { class: 'btn secondary photo-btn' }, t('add_photo'), fileInput)), photoRow);
    drawPhotos();

    let control = null;
    const current = state.answers[it.key] || {};
    if (it.kind === 'pass_fail') {
      const buttons = ['pass', 'fail', 'na'].map((value) => h('button', {
        type: 'button', class: value, 'aria-pressed': String(current.result === value), dataset: { value },
        onclick: () => {
          answer(it.key).result = value;
          for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.value === value));
          changed();
        },
      }, t(value)));
      control = h('div', { class: 'toggle' }, buttons);
    } else if (it.kind === 'deduction' || it.kind === 'score' || it.kind === 'number') {
      const field = { deduction: 'deduct', score: 'score', number: 'value' }[it.kind];
      const input = h('input', {
        class: 'input', type: 'number', inputmode: 'decimal', step: 'any', name: it.key,
        min: it.kind === 'number' ? it.min ?? undefined : 0, max: it.kind === 'number' ? it.max ?? undefined : it.points,
        value: current[field] ?? '',
        oninput: () => {
          const a = answer(it.key);
          if (input.value === '') delete a[field];
          else a[field] = Number(input.value);
          changed();
        },
      });
      const label = { deduction: t('deduct'), score: t('score'), number: t('value') }[it.kind];
      const range = it.kind === 'number' ? `${it.min ?? ''}–${it.max ?? ''} ${it.unit || ''}` : `0–${it.points}`;
      control = h('label', { class: 'field' }, `${label} (${range})`, input);
    } else if (it.kind === 'choice') {
      const select = h('select', { class: 'input', name: it.key, onchange: () => {
        answer(it.key).choice = select.value || undefined;
        changed();
      } }, h('option', { value: '' }, '—'), (it.options || []).map((o) => h('option', { value: o.key }, pick(o, 'text'))));
      select.value = current.choice ?? '';
      control = select;
    } else if (it.kind === 'text') {
      const input = h('input', { class: 'input', name: it.key, value: current.text || '', oninput: () => {
        answer(it.key).text = input.value;
        changed();
      } });
      control = input;
    }
    const el = h('div', { class: 'item', dataset: { item: it.key, kind: it.kind } },
      h('div', { class: 'item-title' }, pick(it, 'text'), it.hazard ? h('span', { class: 'tag red' }, ` ${t('hazard')}`) : ''),
      control, extra);
    cards.set(it.key, { el, need, extra });
    return el;
  };

  const submit = h('button', {
    class: 'btn block', type: 'button', id: 'submit-inspection',
    onclick: async () => {
      const open = missingOf(template, state.answers);
      if (open.length) {
        refresh();
        cards.get(open[0].key)?.el.scrollIntoView();
        toast(t('required_missing', { n: open.length }), 'warn');
        return;
      }
      clearTimeout(saveTimer);
      const answers = {};
      for (const it of items) {
        const a = state.answers[it.key];
        if (isEmpty(a)) continue;
        const clean = Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined && v !== ''));
        if (typeof clean.note === 'string') clean.note = clean.note.trim() || null;
        if (!clean.photos?.length) delete clean.photos;
        answers[it.key] = clean;
      }
      const photos = [...new Set(Object.values(answers).flatMap((a) => a.photos || []))];
      const id = Number(targetId);
      const data = {
        template_id: Number(tpl.id),
        [`${targetType}_id`]: id,
        // The room was reached through its label (camera or the label's link), not typed in.
        scanned: state.entry === 'scanned' || state.entry === 'link',
        answers,
        score: scoreOf(template, state.answers),
        note: state.note.trim() || null,
        photos: [],
      };
      await outbox.enqueue({
        type: 'inspection', data, photos, draftId,
        summary: { title: pick(template), subtitle: target.data.name },
      });
      toast(t('submitted'));
      window.dispatchEvent(new CustomEvent('xunjian:queued'));
      navigate('#/');
    },
  }, t('submit'));

  render(
    h('p', { class: 'muted' }, target.data.name, ' · ', h('span', { class: 'tag', id: 'entry-tag' }, t(`entry_${state.entry}`))),
    h('h1', {}, pick(template)),
    draft ? h('p', { class: 'ok', id: 'draft-restored' }, t('draft_restored')) : null,
    h('div', { id: 'items' }, items.map(itemCard)),
    h('label', { class: 'field' }, t('note'), h('textarea', { class: 'input', id: 'inspection-note', value: state.note,
      oninput: (e) => {
        state.note = e.target.value;
        save();
      } })),
    h('div', { class: 'score', id: 'score-bar' }, h('span', {}, t('score')), scoreValue),
    missingLine,
    submit,
    draft ? h('button', { class: 'btn secondary block', type: 'button', onclick: async () => {
      await outbox.deleteDraft(draftId);
      navigate('#/');
    } }, t('discard_draft')) : null,
  );
  refresh();
}
