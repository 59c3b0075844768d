// The studio API (docs/API.md) as the page uses it. The token and the project's session
// live in localStorage and are reused; a token the server refuses (1001) is replaced by a
// new anonymous one and a session it does not know (1002) by a new session, and the
// request is sent again once, so the visitor never sees either.
const TOKEN_KEY = 'kino.token';
const CLIENT_KEY = 'kino.clientId';
const SESSION_KEY = 'kino.session';

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const ACCEPTED_EXTENSIONS = [
  'mp4', 'mov', 'avi', 'webm', 'mkv', 'jpg', 'jpeg', 'png', 'gif', 'webp', 'mp3', 'wav', 'm4a', 'aac',
];

const SKILL_HEADERS = {
  'X-Skill-Source': 'kino-studio-web',
  'X-Skill-Version': '1',
  'X-Skill-Platform': 'web',
};

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function randomUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function readJson(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status >= 400 ? res.status : 500, `HTTP ${res.status}`, res.status);
  }
  if (!body || body.code !== 0) {
    const code = body && typeof body.code === 'number' ? body.code : res.status;
    throw new ApiError(code, (body && body.message) || `HTTP ${res.status}`, res.status);
  }
  return body.data;
}

export class Api {
  // onRenewed(kind): called after the token ('token') or the session ('session') was
  // replaced, so the page can redraw what belonged to the old one.
  constructor({ language, onRenewed }) {
    this.language = language;
    this.onRenewed = onRenewed || (() => {});
    this.token = localStorage.getItem(TOKEN_KEY) || '';
    this.sessionId = localStorage.getItem(SESSION_KEY) || '';
    this.renewing = null;
  }

  // The attribution headers name this page as the client (usage per client; servers
  // started with --require-skill-headers need them for exports).
  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...SKILL_HEADERS, ...extra };
  }

  async newToken() {
    let clientId = localStorage.getItem(CLIENT_KEY);
    if (!clientId) {
      clientId = randomUuid();
      localStorage.setItem(CLIENT_KEY, clientId);
    }
    const res = await fetch('/api/auth/anonymous-token', {
      method: 'POST',
      headers: { 'X-Client-Id': clientId },
    });
    const data = await readJson(res);
    this.token = data.token;
    localStorage.setItem(TOKEN_KEY, this.token);
    this.sessionId = '';
    localStorage.removeItem(SESSION_KEY);
  }

  async newSession() {
    const res = await fetch('/api/tasks/me/with-session/nemo_agent', {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ task_name: 'project', language: this.language() }),
    });
    const data = await readJson(res);
    this.sessionId = data.session_id;
    localStorage.setItem(SESSION_KEY, this.sessionId);
  }

  // A token and a session, made when missing.
  async ready() {
    if (this.token && this.sessionId) return;
    await this.renew(this.token ? 'session' : 'token', false);
  }

  // One renewal at a time; concurrent callers share it. `notify`: the old token or
  // session was refused, so what the page shows of it is gone.
  renew(kind, notify = true) {
    if (!this.renewing) {
      this.renewing = (async () => {
        if (kind === 'token') await this.newToken();
        await this.newSession();
      })().finally(() => {
        this.renewing = null;
      });
      if (notify) this.renewing.then(() => this.onRenewed(kind), () => {});
    }
    return this.renewing;
  }

  // Runs `send` (which reads this.token / this.sessionId when called); on 1001 or 1002
  // renews and runs it once more.
  async withAuth(send) {
    await this.settled();
    const token = this.token;
    const session = this.sessionId;
    try {
      return await send();
    } catch (e) {
      if (!(e instanceof ApiError) || (e.code !== 1001 && e.code !== 1002)) throw e;
      // Another request may have renewed already while this one was out.
      if (this.token === token && this.sessionId === session) {
        await this.renew(e.code === 1001 ? 'token' : 'session');
      }
      await this.settled();
      return send();
    }
  }

  // Waits for a renewal under way, so no request goes out with half-replaced credentials.
  async settled() {
    if (this.renewing) await this.renewing;
    await this.ready();
  }

  json(method, path, body) {
    return this.withAuth(async () => {
      const init = { method, headers: this.headers() };
      if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(typeof body === 'function' ? body() : body);
      }
      const p = typeof path === 'function' ? path() : path;
      return readJson(await fetch(p, init));
    });
  }

  credits() {
    return this.json('GET', '/api/credits/balance/simple');
  }

  state() {
    return this.json('GET', () => `/api/state/nemo_agent/me/${this.sessionId}/latest`);
  }

  exportStart() {
    return this.json('POST', '/api/render/proxy/lambda', () => ({
      id: `render_${Date.now()}_${Math.floor(Math.random() * 1e6)}`,
      sessionId: this.sessionId,
      output: { format: 'mp4', quality: 'high' },
    }));
  }

  exportStatus(id) {
    return this.json('GET', `/api/render/proxy/lambda/${encodeURIComponent(id)}`);
  }

  // Uploads one file; onProgress(fraction) while the body goes out. Resolves to the
  // file's entry of data.files.
  upload(file, onProgress) {
    return this.withAuth(
      () =>
        new Promise((resolve, reject) => {
          const xhr = new XMLHttpRequest();
          xhr.open('POST', `/api/upload-video/nemo_agent/me/${this.sessionId}`);
          for (const [k, v] of Object.entries(this.headers())) xhr.setRequestHeader(k, v);
          xhr.upload.onprogress = (e) => {
            if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
          };
          xhr.onerror = () => reject(new TypeError('network'));
          xhr.onload = () => {
            let body = null;
            try {
              body = JSON.parse(xhr.responseText);
            } catch {
              return reject(new ApiError(xhr.status, `HTTP ${xhr.status}`, xhr.status));
            }
            if (body.code !== 0) return reject(new ApiError(body.code, body.message || '', xhr.status));
            resolve(body.data.files[0]);
          };
          const form = new FormData();
          form.append('files', file, file.name);
          xhr.send(form);
        }),
    );
  }

  // Sends a chat message and calls onEvent(event) for each ADK event of the reply
  // stream as it arrives. Resolves when the stream ends.
  chat(text, onEvent) {
    return this.withAuth(async () => {
      const res = await fetch('/run_sse', {
        method: 'POST',
        headers: this.headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
        body: JSON.stringify({
          app_name: 'nemo_agent',
          user_id: 'me',
          session_id: this.sessionId,
          new_message: { parts: [{ text }] },
        }),
      });
      if (!(res.headers.get('content-type') || '').startsWith('text/event-stream')) {
        await readJson(res);
        throw new ApiError(500, 'the chat reply was not an event stream', res.status);
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
        let end;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const data = block
            .split(/\r?\n/)
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).replace(/^ /, ''))
            .join('\n');
          if (!data) continue;  // a heartbeat comment or an empty event
          let event;
          try {
            event = JSON.parse(data);
          } catch {
            continue;
          }
          onEvent(event);
        }
        if (done) break;
      }
    });
  }
}
