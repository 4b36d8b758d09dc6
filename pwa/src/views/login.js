import { api, getSession, NetworkError, setSession } from '../api.js';
import { t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { resetCache } from '../refcache.js';
import { syncNow } from '../sync.js';
import { h, render } from '../ui.js';
import { exportFile } from './home.js';

function deviceName() {
  const ua = navigator.userAgent;
  const model = (ua.match(/\(([^)]+)\)/) || [])[1] || 'browser';
  return `PWA · ${model}`.slice(0, 100);
}

export async function login({ navigate }) {
  const previous = await getSession();
  const message = h('p', { class: 'error', role: 'alert' }, previous?.expired ? t('relogin') : '');
  const username = h('input', { name: 'username', autocomplete: 'username', required: true,
    value: previous?.user?.username || '', autocapitalize: 'none' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { class: 'btn block', type: 'submit' }, t('login'));
  const form = h('form', {
    class: 'card',
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      button.textContent = t('logging_in');
      try {
        const name = username.value.trim();
        const before = previous?.user;
        if (before && before.username !== name) {
          // Records on this phone are sent with the token of whoever logs in: someone else's unsent
          // records must not go out under a new name. And what the last user could see is theirs.
          const { total } = await outbox.unsent();
          if (total > 0) throw new Error(t('other_user_unsent', { user: before.username, n: total }));
        }
        const result = await api.login(name, password.value, deviceName());
        if (before && before.id !== result.user.id) await resetCache();
        await setSession({ token: result.token, device_id: result.device_id, user: result.user,
          logged_in_at: new Date().toISOString() });
        const after = sessionStorage.getItem('xunjian.after_login');
        sessionStorage.removeItem('xunjian.after_login');
        navigate(after && after !== '/login' ? `#${after}` : '#/');
        syncNow({ force: true });
      } catch (exc) {
        const msg = exc instanceof NetworkError ? t('login_offline')
          : t('login_failed', { msg: exc.message || String(exc) });
        message.textContent = msg;
        button.disabled = false;
        button.textContent = t('login');
      }
    },
  },
  h('label', { class: 'field' }, t('username'), username),
  h('label', { class: 'field' }, t('password'), password),
  button);
  const { total } = await outbox.unsent();
  render(h('h1', {}, t('login_title')), message, form,
    // Whatever happens to the login, unsent records can always leave the phone as a file.
    total > 0 ? h('button', { class: 'btn secondary block', type: 'button', id: 'export-btn', onclick: exportFile },
      `${t('export')} (${total})`) : null);
}
