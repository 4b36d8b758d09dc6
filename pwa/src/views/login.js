import { api, ApiError, getSession, NetworkError, setSession } from '../api.js';
import { t } from '../i18n.js';
import { syncNow } from '../sync.js';
import { h, render } from '../ui.js';

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
        const result = await api.login(username.value.trim(), password.value, deviceName());
        await setSession({ token: result.token, device_id: result.device_id, user: result.user,
          logged_in_at: new Date().toISOString() });
        const after = sessionStorage.getItem('xunjian.after_login');
        sessionStorage.removeItem('xunjian.after_login');
        navigate(after && after !== '/login' ? `#${after}` : '#/');
        syncNow({ force: true });
      } catch (exc) {
        const msg = exc instanceof NetworkError ? t('login_offline')
          : t('login_failed', { msg: exc instanceof ApiError ? exc.message : String(exc) });
        message.textContent = msg;
        button.disabled = false;
        button.textContent = t('login');
      }
    },
  },
  h('label', { class: 'field' }, t('username'), username),
  h('label', { class: 'field' }, t('password'), password),
  button);
  render(h('h1', {}, t('login_title')), message, form);
}
