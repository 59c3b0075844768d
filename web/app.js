// The studio page: wires the chat, uploads, library, timeline, preview and export to
// the API. State comes from GET /api/state/...; every change goes through the API.
import { Api } from './api.js';
import { ChatView, progressBar } from './chat.js';
import { errorText, initialLanguage, language, setLanguage, t } from './i18n.js';
import { Uploader, renderLibrary } from './media.js';
import { deletePhrase, movePhrase, renderTimeline, trimPhrase } from './timeline.js';

const $ = (id) => document.getElementById(id);

const studio = {
  draft: {},
  media: [],
  segments: [],
  selected: null,
  chatBusy: false,
};

setLanguage(initialLanguage(), false);
$('lang').value = language();

const api = new Api({
  language,
  onRenewed: (kind) => {
    studio.selected = null;
    if (kind === 'session') chat.reply(t('error.1002'));
    refresh();
  },
});

function play(url, name) {
  const player = $('player');
  if (player.dataset.src !== url) {
    player.dataset.src = url;
    player.src = url;
  }
  $('player-caption').textContent = t('preview.playing', { name: name || '' });
}

const chat = new ChatView($('chat-log'), {
  onWatch: (url, automatic, label) => {
    play(url, label);
    if (!automatic) $('player').focus();
  },
});

function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 6000);
}

async function refreshCredits() {
  try {
    const c = await api.credits();
    $('credits-value').textContent = String(c.available);
    $('credits').title = `${c.available} / ${c.total}`;
  } catch (err) {
    $('credits-value').textContent = '–';
    toast(errorText(err));
  }
}

function drawTimeline() {
  studio.segments = renderTimeline($('tracks'), studio.draft, studio.media, studio.selected && studio.selected.id, select);
  if (studio.selected) {
    const again = studio.segments.find((s) => s.id === studio.selected.id);
    if (again) select(again, false);
    else select(null);
  }
}

let stateSeq = 0;
async function refreshState() {
  const seq = ++stateSeq;
  try {
    const s = await api.state();
    if (seq !== stateSeq) return;  // a later refresh is under way
    studio.draft = s.state.draft || {};
    studio.media = [...(s.state.video_infos || []), ...(s.state.generated_media || [])];
    $('tracks').dataset.version = String(s.version);
    renderLibrary($('library'), $('library-empty'), studio.media, {
      onAdd: (m) => send(language() === 'zh' ? `添加 ${m.name}` : `add ${m.name}`),
      onMusic: (m) => send(language() === 'zh' ? `用 ${m.name} 作为背景音乐` : `add ${m.name} as background music`),
      onWatch: (m) => play(m.url, m.name),
    });
    drawTimeline();
  } catch (err) {
    toast(errorText(err));
  }
}

function refresh() {
  return Promise.all([refreshState(), refreshCredits()]);
}

// ---- chat ----

async function send(text) {
  if (!text.trim()) return;
  if (studio.chatBusy) {
    toast(t('chat.busy'));
    return;
  }
  studio.chatBusy = true;
  $('chat-send').disabled = true;
  chat.user(text);
  chat.working(true);
  let sawText = false;
  try {
    await api.chat(text, (ev) => {
      if (chat.event(ev)) sawText = true;
      const delta = ev.actions && ev.actions.stateDelta;
      if (delta && delta.draft_version !== undefined) refreshState();
    });
    if (!sawText) chat.reply(t('chat.noReply'));
  } catch (err) {
    chat.error(errorText(err));
  } finally {
    chat.working(false);
    studio.chatBusy = false;
    $('chat-send').disabled = false;
    refresh();
  }
}

$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('chat-input');
  const text = input.value;
  if (!text.trim()) return;
  if (studio.chatBusy) {
    toast(t('chat.busy'));
    return;
  }
  input.value = '';
  send(text);
});
$('chat-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('chat-form').requestSubmit();
  }
});

// ---- timeline selection ----

function select(seg, focus = true) {
  studio.selected = seg;
  for (const b of document.querySelectorAll('.segment'))
    b.setAttribute('aria-pressed', String(!!seg && b.dataset.segment === seg.id));
  const panel = $('inspector');
  if (!seg) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const button = document.querySelector(`.segment[data-segment="${CSS.escape(seg.id)}"]`);
  $('inspector-what').textContent = button ? button.getAttribute('aria-label') : seg.name;
  if (focus) {
    $('trim-seconds').value = String(seg.d / 1000);
    $('move-seconds').value = String(seg.start / 1000);
    $('trim-seconds').focus();
  }
}

$('trim-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const s = Number($('trim-seconds').value);
  if (studio.selected && s > 0) send(trimPhrase(studio.selected, Math.round(s * 1000)));
});
$('move-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const s = Number($('move-seconds').value);
  if (studio.selected && s >= 0) send(movePhrase(studio.selected, Math.round(s * 1000)));
});
$('delete-segment').addEventListener('click', () => {
  if (!studio.selected) return;
  const seg = studio.selected;
  select(null);
  send(deletePhrase(seg));
});
$('deselect').addEventListener('click', () => {
  const id = studio.selected && studio.selected.id;
  select(null);
  const b = id && document.querySelector(`.segment[data-segment="${CSS.escape(id)}"]`);
  if (b) b.focus();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && studio.selected) $('deselect').click();
});

// ---- export ----

let exporting = false;
$('export').addEventListener('click', async () => {
  if (exporting) return;
  const status = $('export-status');
  if (!studio.segments.length) {
    status.textContent = t('export.empty');
    return;
  }
  exporting = true;
  $('export').disabled = true;
  status.replaceChildren();
  const job = progressBar(t('job.export'));
  status.append(job.el);
  const watch = (url, automatic, label) => {
    play(url, label);
    if (!automatic) $('player').focus();
  };
  try {
    let view = await api.exportStart();
    job.update(view, watch);
    while (view.status !== 'completed' && view.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 1000));
      view = await api.exportStatus(view.id);
      job.update(view, watch);
    }
  } catch (err) {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = errorText(err);
    status.append(p);
  } finally {
    exporting = false;
    $('export').disabled = false;
  }
});

// ---- language ----

// The agent answers in the session's language: an untouched project is started again in
// the new one; a project with media or edits is kept as it is.
$('lang').addEventListener('change', async () => {
  setLanguage($('lang').value, true);
  const untouched = !studio.media.length && !studio.segments.length && !studio.chatBusy;
  if (untouched && $('chat-log').children.length === 1) {
    $('chat-log').replaceChildren();
    chat.reply(t('chat.welcome'));
  }
  if (untouched) {
    try {
      await api.renew('session', false);
    } catch (err) {
      toast(errorText(err));
    }
  }
  refresh();
});

// ---- uploads ----

new Uploader({
  api,
  drop: $('drop'),
  input: $('file-input'),
  list: $('uploads'),
  onUploaded: () => refreshState(),
});

chat.reply(t('chat.welcome'));
api.ready().then(refresh, (err) => toast(errorText(err)));
