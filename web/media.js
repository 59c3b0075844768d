// The upload area (drag and drop or a file picker, several files, type and size checked
// before sending and the server's verdict shown after) and the media library.
import { ACCEPTED_EXTENSIONS, ApiError, MAX_UPLOAD_BYTES } from './api.js';
import { t, formatBytes, formatTime, errorText } from './i18n.js';

// The reason a file cannot be sent, in words, or '' when it may go.
export function uploadProblem(file) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  if (!file.name.includes('.') || !ACCEPTED_EXTENSIONS.includes(ext)) return t('upload.badType', { name: file.name });
  if (file.size > MAX_UPLOAD_BYTES) return t('upload.tooLarge', { name: file.name, size: formatBytes(file.size) });
  if (file.size === 0) return t('upload.empty', { name: file.name });
  return '';
}

function serverProblem(file, err) {
  if (err instanceof ApiError && err.code === 4002)
    return t('upload.tooLarge', { name: file.name, size: formatBytes(file.size) });
  if (err instanceof ApiError && err.code === 4001) return t('upload.badType', { name: file.name });
  return `${file.name}: ${errorText(err)}`;
}

export class Uploader {
  // onUploaded() runs after each file the server accepted.
  constructor({ api, drop, input, list, onUploaded }) {
    this.api = api;
    this.list = list;
    this.onUploaded = onUploaded;
    input.addEventListener('change', () => {
      this.add(Array.from(input.files || []));
      input.value = '';
    });
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      this.add(Array.from((e.dataTransfer && e.dataTransfer.files) || []));
    });
    // Files dropped outside the area would open in the tab and leave the studio.
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => e.preventDefault());
  }

  row(file) {
    const li = document.createElement('li');
    li.className = 'upload';
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = file.name;
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute('aria-label', file.name);
    const status = document.createElement('span');
    status.className = 'upload-status';
    li.append(name, bar, status);
    this.list.prepend(li);
    return { li, bar, status };
  }

  // Files go one at a time, so each gets its own progress and verdict.
  async add(files) {
    for (const file of files) {
      const r = this.row(file);
      const problem = uploadProblem(file);
      if (problem) {
        r.li.classList.add('upload-error');
        r.bar.remove();
        r.status.textContent = problem;
        continue;
      }
      try {
        await this.api.upload(file, (f) => {
          r.bar.value = f;
          r.status.textContent = t('upload.sending', { pct: Math.round(f * 100) });
        });
        r.bar.value = 1;
        r.status.textContent = t('upload.done');
        r.li.classList.add('upload-done');
        this.onUploaded();
      } catch (err) {
        r.li.classList.add('upload-error');
        r.bar.remove();
        r.status.textContent = serverProblem(file, err);
      }
    }
  }
}

function thumbnail(m) {
  if (m.type === 'image') {
    const img = document.createElement('img');
    img.src = m.url;
    img.alt = '';
    img.loading = 'lazy';
    return img;
  }
  if (m.type === 'video') {
    const v = document.createElement('video');
    v.src = `${m.url}#t=0.1`;
    v.muted = true;
    v.preload = 'metadata';
    v.setAttribute('playsinline', '');
    v.setAttribute('aria-hidden', 'true');
    return v;
  }
  const s = document.createElement('span');
  s.className = 'thumb-audio';
  s.setAttribute('aria-hidden', 'true');
  s.textContent = '♪';
  return s;
}

// Draws the session's media. actions: onAdd(m), onMusic(m), onWatch(m).
export function renderLibrary(list, empty, media, actions) {
  list.replaceChildren();
  empty.hidden = media.length > 0;
  for (const m of media) {
    const li = document.createElement('li');
    li.className = `card card-${m.type}`;
    li.dataset.media = m.media_id;
    const thumb = document.createElement('div');
    thumb.className = 'thumb';
    thumb.append(thumbnail(m));
    const name = document.createElement('p');
    name.className = 'card-name';
    name.textContent = m.name || m.media_id;
    name.title = m.name || m.media_id;
    const meta = document.createElement('p');
    meta.className = 'card-meta';
    const bits = [t(`media.${m.type}`)];
    if (m.width && m.height) bits.push(`${m.width}×${m.height}`);
    if (m.duration_ms) bits.push(formatTime(m.duration_ms));
    bits.push(formatBytes(m.size || 0));
    meta.textContent = bits.join(' · ');
    const buttons = document.createElement('div');
    buttons.className = 'card-actions';
    const add = document.createElement('button');
    add.type = 'button';
    add.textContent = m.type === 'audio' ? t('media.addMusic') : t('media.add');
    add.setAttribute('aria-label', `${add.textContent}: ${m.name}`);
    add.addEventListener('click', () => (m.type === 'audio' ? actions.onMusic(m) : actions.onAdd(m)));
    buttons.append(add);
    if (m.type !== 'image') {
      const watch = document.createElement('button');
      watch.type = 'button';
      watch.textContent = t('media.watch');
      watch.setAttribute('aria-label', `${watch.textContent}: ${m.name}`);
      watch.addEventListener('click', () => actions.onWatch(m));
      buttons.append(watch);
    }
    li.append(thumb, name, meta, buttons);
    list.append(li);
  }
}
