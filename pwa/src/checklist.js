// Checklist rules on the phone, the same as server/services/checklists.py: how an answer is judged,
// what a failed item still needs, and the score (shown live; the server computes its own and only
// compares ours). Answers are keyed by item key: {result} pass_fail, {deduct} deduction, {score}
// score, {value} number, {text} text, {choice} choice; any kind may carry note and photos.

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function required(item) {
  return item.required ?? item.kind !== 'text';
}

/** An answer the inspector started and emptied again counts as no answer (it is not sent either). */
export function isEmpty(answer) {
  if (!answer) return true;
  return Object.entries(answer).every(([key, value]) => value === undefined || value === null || value === ''
    || (key === 'photos' && !value.length));
}

/** → {outcome: 'pass'|'fail'|'na'|null, deduction, points, problems: [..]} for one item. */
export function judge(item, answer) {
  const problems = [];
  if (isEmpty(answer)) {
    if (required(item)) problems.push('answer');
    return { outcome: null, deduction: 0, points: null, problems };
  }
  let outcome = null;
  let deduction = 0;
  let points = null;
  switch (item.kind) {
    case 'pass_fail':
      if (['pass', 'fail', 'na'].includes(answer.result)) outcome = answer.result;
      else problems.push('answer');
      break;
    case 'deduction':
      if (isNum(answer.deduct) && answer.deduct >= 0 && answer.deduct <= item.points) {
        deduction = answer.deduct;
        outcome = deduction > 0 ? 'fail' : 'pass';
      } else problems.push('range');
      break;
    case 'score':
      if (isNum(answer.score) && answer.score >= 0 && answer.score <= item.points) {
        points = answer.score;
        outcome = item.pass_min !== null && item.pass_min !== undefined && points < item.pass_min ? 'fail' : 'pass';
      } else problems.push('range');
      break;
    case 'number':
      if (isNum(answer.value)) {
        const low = item.min ?? null;
        const high = item.max ?? null;
        outcome = (low === null || answer.value >= low) && (high === null || answer.value <= high) ? 'pass' : 'fail';
      } else problems.push('answer');
      break;
    case 'choice': {
      const option = (item.options || []).find((o) => o.key === answer.choice);
      if (option) outcome = option.fail ? 'fail' : 'pass';
      else problems.push('answer');
      break;
    }
    case 'text':
      if (required(item) && !answer.text) problems.push('answer');
      break;
    case 'photo':
      if (required(item) && !(answer.photos || []).length) problems.push('photo');
      break;
    default:
      break;
  }
  if (outcome === 'fail' && item.photo_on_fail && !(answer.photos || []).length) problems.push('photo');
  if (outcome === 'fail' && item.note_on_fail && !(answer.note || '').trim()) problems.push('note');
  return { outcome, deduction, points, problems };
}

const round2 = (x) => Math.round(x * 100) / 100;

/** The score of a filled checklist as the server will compute it (null when nothing is judged yet). */
export function score(template, answers) {
  const items = template.items || [];
  const maxScore = Number(template.max_score ?? 100);
  const judged = items.map((item) => ({ item, ...judge(item, answers[item.key]) }));
  if (template.scoring === 'deduction') {
    const lost = judged.filter((j) => j.outcome === 'fail')
      .reduce((sum, j) => sum + (j.item.kind === 'deduction' ? j.deduction : Number(j.item.points || 0)), 0);
    return Math.max(0, round2(maxScore - lost));
  }
  const counted = judged.filter((j) => j.outcome === 'pass' || j.outcome === 'fail');
  if (template.scoring === 'sum') {
    return round2(counted.reduce((sum, j) => sum + (j.points !== null ? j.points
      : j.outcome === 'pass' ? Number(j.item.points || 0) : 0), 0));
  }
  if (!counted.length) return null;
  return round2((maxScore * counted.filter((j) => j.outcome === 'pass').length) / counted.length);
}

/** Items still missing something before the record can be submitted: [{key, problems}]. */
export function missing(template, answers) {
  return (template.items || [])
    .map((item) => ({ key: item.key, problems: judge(item, answers[item.key]).problems }))
    .filter((m) => m.problems.length);
}

/** Published templates (latest number per family) usable on this room or asset. */
export function applicable(templates, targetType, target) {
  const latest = new Map();
  for (const tpl of templates) {
    const d = tpl.data;
    if (d.status && d.status !== 'published') continue;
    if (targetType === 'room') {
      if ((d.room_kinds || []).length && !d.room_kinds.includes(target.kind)) continue;
    } else if (!(d.asset_categories || []).includes(target.category)) continue;
    const family = d.family ?? tpl.id;
    const prev = latest.get(family);
    if (!prev || Number(d.number ?? 0) > Number(prev.data.number ?? 0)) latest.set(family, tpl);
  }
  return [...latest.values()];
}
