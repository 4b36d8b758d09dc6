// Strings of the phone app: Simplified Chinese first, English by the switch in 设置.
const STRINGS = {
  zh: {
    app: '巡检', loading: '加载中…', sync_now: '立即同步', pending: '待上传',
    login_title: '登录', username: '用户名', password: '密码', login: '登录', logging_in: '正在登录…',
    login_offline: '需要联网才能首次登录。', login_failed: '登录失败：{msg}',
    other_user_unsent: '本机还有 {user} 的 {n} 项未上传记录，请用该账号登录同步，或先导出。',
    relogin: '登录已失效，请重新登录。未上传的记录仍保存在本机。',
    home_scan: '扫码检查', home_scan_sub: '扫房间或资产标签', home_stocktake: '资产盘点', home_stocktake_sub: '连续扫码',
    home_fixes: '我的整改', home_fixes_sub: '{n} 项待办', home_outbox: '待上传记录', home_outbox_sub: '{n} 条',
    home_settings: '设置', home_settings_sub: '语言、退出、导出',
    last_sync: '上次同步：{t}', never_synced: '尚未同步', offline_ready: '已可离线使用',
    ref_counts: '本机数据：{rooms} 个房间，{assets} 件资产，{templates} 个检查表',
    scan_title: '扫码', camera_starting: '正在打开相机…', camera_none: '无法使用相机：{msg}。可手动输入标签编码。',
    camera_denied: '未允许使用相机', camera_missing: '没有找到相机', camera_busy: '相机被其他应用占用',
    torch: '手电筒', manual_code: '手动输入标签编码', open: '打开', code_error_empty: '请输入编码',
    code_error_length: '编码应为 7 位', code_error_character: '编码含无效字符', code_error_kind: '编码应以 R（房间）或 A（资产）开头',
    code_error_check: '校验位不对，请核对编码', decoder: '识别方式：{d}',
    label_unknown: '未知标签 {code}：本校没有这个标签。', label_replaced: '标签 {code} 已被替换，请使用新标签。',
    label_not_cached: '本机还没有标签 {code} 的资料（离线）。联网同步后再试。',
    room: '房间', asset: '资产', start_inspection: '开始检查', no_templates: '没有适用于此房间的检查表。',
    entry_scanned: '扫码', entry_typed: '手动输入', entry_link: '标签链接',
    pass: '合格', fail: '不合格', na: '不适用', note: '备注', add_photo: '拍照', photo_required: '不合格须拍照',
    note_required: '不合格须填写备注', required_missing: '还有 {n} 项未完成', submit: '提交', saved_draft: '草稿已保存',
    submitted: '已保存，待上传', score: '得分', deduct: '扣分', value: '数值', draft_restored: '已恢复未完成的草稿',
    discard_draft: '放弃草稿', hazard: '隐患',
    stocktake_title: '资产盘点', stocktake_none: '没有进行中的盘点。', stocktake_pick: '选择盘点任务',
    progress_room: '{room}：已盘 {done} / 应盘 {expected}', already_counted: '已盘过：{name}',
    scanned_ok: '已盘：{name}', unknown_label: '未知标签 {code}', record_unknown: '登记盘盈（拍照）',
    not_asset_label: '{code} 不是资产标签', current_room: '当前房间：{room}', scan_room_first: '请先扫房间标签',
    condition: '状况', cond_good: '完好', cond_damaged: '损坏', cond_repair: '需维修', description: '描述',
    fixes_title: '我的整改', overdue: '已逾期', fixes_none: '没有分配给我的整改。', mark_done: '标记完成', due: '期限：{t}',
    done_note: '整改说明', done_saved: '已标记完成，待上传',
    outbox_title: '待上传记录', outbox_empty: '没有待上传的记录。', state_pending: '待上传', state_rejected: '被拒绝',
    state_conflict: '冲突', dismiss: '移除', export: '导出未上传记录', photos_pending: '{n} 张照片待上传',
    settings_title: '设置', language: '语言 / Language', logout: '退出登录', clear: '清除本机数据',
    refuse_unsent: '还有 {n} 项未上传，不能{what}。请先同步，或导出为文件。',
    confirm_clear: '确定清除本机所有数据？', logged_out: '已退出',
    update_available: '有新版本', update: '更新', persist_denied: '浏览器未授予持久存储，空间紧张时数据可能被清除。',
    sync_offline: '离线：记录已保存在本机，联网后自动上传。', sync_error: '同步出错：{msg}',
    syncing: '同步中 {done}/{total}', sync_done: '同步完成', back: '返回', home: '首页',
  },
  en: {
    app: 'Xunjian', loading: 'Loading…', sync_now: 'Sync now', pending: 'Unsent',
    login_title: 'Log in', username: 'Username', password: 'Password', login: 'Log in', logging_in: 'Logging in…',
    login_offline: 'The first login needs the network.', login_failed: 'Login failed: {msg}',
    other_user_unsent: '{user} has {n} unsent items on this phone: log in as {user} to send them, or export them.',
    relogin: 'Your login has expired. Log in again; unsent records stay on this phone.',
    home_scan: 'Scan & inspect', home_scan_sub: 'Room or asset label', home_stocktake: 'Stocktake', home_stocktake_sub: 'Continuous scan',
    home_fixes: 'My fixes', home_fixes_sub: '{n} open', home_outbox: 'Unsent records', home_outbox_sub: '{n}',
    home_settings: 'Settings', home_settings_sub: 'Language, log out, export',
    last_sync: 'Last sync: {t}', never_synced: 'Not synced yet', offline_ready: 'Ready offline',
    ref_counts: 'On this phone: {rooms} rooms, {assets} assets, {templates} checklists',
    scan_title: 'Scan', camera_starting: 'Starting the camera…', camera_none: 'No camera: {msg}. Type the code instead.',
    camera_denied: 'camera permission refused', camera_missing: 'no camera found', camera_busy: 'camera in use by another app',
    torch: 'Torch', manual_code: 'Type a label code', open: 'Open', code_error_empty: 'Enter a code',
    code_error_length: 'A code has 7 characters', code_error_character: 'The code has an invalid character',
    code_error_kind: 'A code starts with R (room) or A (asset)', code_error_check: 'Check character wrong: check the code',
    decoder: 'Decoder: {d}',
    label_unknown: 'Unknown label {code}: not a label of this school.', label_replaced: 'Label {code} was replaced; use the new label.',
    label_not_cached: 'Label {code} is not on this phone yet (offline). Sync, then try again.',
    room: 'Room', asset: 'Asset', start_inspection: 'Start inspection', no_templates: 'No checklist applies to this room.',
    entry_scanned: 'scanned', entry_typed: 'typed', entry_link: 'label link',
    pass: 'Pass', fail: 'Fail', na: 'N/A', note: 'Note', add_photo: 'Photo', photo_required: 'A failure needs a photo',
    note_required: 'A failure needs a note', required_missing: '{n} items still to do', submit: 'Submit',
    saved_draft: 'Draft saved', submitted: 'Saved, waiting to upload', score: 'Score', deduct: 'Deduct', value: 'Value',
    draft_restored: 'Unfinished draft restored', discard_draft: 'Discard draft', hazard: 'Hazard',
    stocktake_title: 'Stocktake', stocktake_none: 'No stocktake is open.', stocktake_pick: 'Pick a stocktake',
    progress_room: '{room}: {done} of {expected} counted', already_counted: 'Already counted: {name}',
    scanned_ok: 'Counted: {name}', unknown_label: 'Unknown label {code}', record_unknown: 'Record unknown item (photo)',
    not_asset_label: '{code} is not an asset label', current_room: 'Current room: {room}', scan_room_first: 'Scan the room label first',
    condition: 'Condition', cond_good: 'Good', cond_damaged: 'Damaged', cond_repair: 'Needs repair', description: 'Description',
    fixes_title: 'My fixes', overdue: 'Overdue', fixes_none: 'No fixes assigned to me.', mark_done: 'Mark done', due: 'Due: {t}',
    done_note: 'What was done', done_saved: 'Marked done, waiting to upload',
    outbox_title: 'Unsent records', outbox_empty: 'Nothing waiting to upload.', state_pending: 'Waiting',
    state_rejected: 'Rejected', state_conflict: 'Conflict', dismiss: 'Remove', export: 'Export unsent records',
    photos_pending: '{n} photos waiting to upload',
    settings_title: 'Settings', language: 'Language / 语言', logout: 'Log out', clear: 'Clear data on this phone',
    refuse_unsent: '{n} items are not uploaded yet, so you cannot {what}. Sync first, or export them to a file.',
    confirm_clear: 'Clear all data on this phone?', logged_out: 'Logged out',
    update_available: 'A new version is ready', update: 'Update',
    persist_denied: 'The browser did not grant persistent storage; data may be evicted when space is low.',
    sync_offline: 'Offline: records are kept on this phone and upload when the network is back.',
    sync_error: 'Sync error: {msg}', syncing: 'Syncing {done}/{total}', sync_done: 'Synced', back: 'Back', home: 'Home',
  },
};

const LANG_KEY = 'xunjian.lang';
let lang = 'zh';
try {
  lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
} catch {
  lang = 'zh';
}

export function getLang() {
  return lang;
}

export function setLang(value) {
  lang = value === 'en' ? 'en' : 'zh';
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

/** The string for `key` with {placeholders} filled in. */
export function t(key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? ''));
}

/** Pick the text of a bilingual server object: {name, name_en} or {text, text_en}. */
export function pick(obj, field = 'name') {
  if (!obj) return '';
  return (lang === 'en' && obj[`${field}_en`]) || obj[field] || obj[`${field}_zh`] || '';
}
