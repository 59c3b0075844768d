// The chat log: the visitor's messages, the agent's replies as the event stream brings
// them, a progress bar per running export, and errors in words.
import { formatBytes, t } from './i18n.js';

// Text with its http(s) links made clickable; everything else stays plain text.
function withLinks(el, text) {
  const parts = text.split(/(https?:\/\/[^\s)（）]+)/g);
  for (const part of parts) {
    if (/^https?:\/\//.test(part)) {
      const a = document.createElement('a');
      a.href = part;
      a.textContent = part.length > 60 ? `${part.slice(0, 57)}…` : part;
      a.target = '_blank';
      a.rel = 'noopener';
      el.append(a);
    } else if (part) {
      el.append(document.createTextNode(part));
    }
  }
}

export function progressBar(label) {
  const wrap = document.createElement('div');
  wrap.className = 'job';
  const name = document.createElement('span');
  name.className = 'job-label';
  name.textContent = label;
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', label);
  const status = document.createElement('span');
  status.className = 'job-status';
  const links = document.createElement('span');
  links.className = 'job-links';
  wrap.append(name, bar, status, links);
  return {
    el: wrap,
    // view: a render or generation status (docs/API.md). onWatch(url, automatic, label)
    // offers the result to the player.
    update(view, onWatch) {
      const progress = Math.min(1, Math.max(0, Number(view.progress || 0)));
      const pct = Math.round(progress * 100);
      bar.value = view.status === 'completed' ? 1 : progress;
      wrap.dataset.status = view.status || '';
      if (view.status === 'rendering') {
        status.textContent = t('job.rendering', { pct });
      } else if (view.status === 'running') {
        status.textContent = t('job.running', { pct });
        if (view.steps) status.textContent += ` · ${t('job.step', { step: view.step || 0, steps: view.steps })}`;
      } else if (view.status === 'failed') {
        status.textContent = `${t('job.failed')}: ${view.error || ''}`;
      } else {
        status.textContent = t(`job.${['completed', 'cancelled'].includes(view.status) ? view.status : 'queued'}`);
        const size = (view.output && view.output.size) || (view.media && view.media.size);
        if (view.status === 'completed' && size) status.textContent += ` · ${formatBytes(size)}`;
      }
      const url = (view.output && view.output.url) || (view.media && view.media.url);
      if (view.status === 'completed' && url && !links.childElementCount) {
        const a = document.createElement('a');
        a.href = url;
        a.className = 'button download';
        a.setAttribute('download', '');
        a.textContent = view.output ? t('job.download') : t('job.downloadClip');
        const watch = document.createElement('button');
        watch.type = 'button';
        watch.textContent = t('job.watch');
        watch.addEventListener('click', () => onWatch(url, false, label));
        links.append(a, watch);
        onWatch(url, true, label);
      }
    },
  };
}

export class ChatView {
  constructor(list, { onWatch }) {
    this.list = list;
    this.onWatch = onWatch;
    this.jobs = new Map();
    this.running = new Set();  // list items of jobs still running: kept below new text
    this.streaming = null;
  }

  keepJobsLast() {
    for (const li of this.running) this.list.append(li);
  }

  item(role, cls) {
    const li = document.createElement('li');
    li.className = `msg msg-${role}${cls ? ` ${cls}` : ''}`;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = role === 'user' ? t('chat.you') : t('chat.kino');
    const body = document.createElement('div');
    body.className = 'body';
    li.append(who, body);
    this.list.append(li);
    this.list.scrollTop = this.list.scrollHeight;
    return body;
  }

  user(text) {
    this.item('user').textContent = text;
  }

  reply(text) {
    withLinks(this.item('model'), text);
    this.keepJobsLast();
  }

  error(text) {
    this.item('model', 'msg-error').textContent = text;
  }

  // A "working" line shown while a turn's stream is open.
  working(on) {
    if (on && !this.busy) {
      this.busy = this.item('model', 'msg-working');
      this.busy.textContent = t('chat.working');
    } else if (!on && this.busy) {
      this.busy.parentElement.remove();
      this.busy = null;
    }
  }

  keepWorkingLast() {
    if (this.busy) this.list.append(this.busy.parentElement);
    this.list.scrollTop = this.list.scrollHeight;
  }

  // One ADK event of /run_sse. Returns true when the event carried visible text.
  event(ev) {
    let shown = false;
    const parts = (ev.content && ev.content.parts) || [];
    for (const part of parts) {
      if (typeof part.text === 'string' && part.text) {
        if (ev.partial) {
          if (!this.streaming) {
            this.streaming = this.item('model');
            this.keepJobsLast();
          }
          this.streaming.append(document.createTextNode(part.text));
        } else if (this.streaming) {
          this.streaming.replaceChildren();
          withLinks(this.streaming, part.text);
          this.streaming = null;
        } else {
          this.reply(part.text);
        }
        shown = true;
      }
      const res = part.functionResponse;
      if (res && res.response && typeof res.response.status === 'string' && res.response.id) {
        this.job(res.name, res.response);
      }
    }
    this.keepWorkingLast();
    return shown;
  }

  // A job a chat turn follows: an export (render status) or a generation ("generate").
  job(name, view) {
    let job = this.jobs.get(view.id);
    if (!job) {
      const generation = name === 'generate';
      let label = t(generation ? 'job.generate' : 'job.export');
      if (generation && view.prompt) label += `: ${view.prompt.length > 60 ? `${view.prompt.slice(0, 57)}…` : view.prompt}`;
      job = progressBar(label);
      this.jobs.set(view.id, job);
      const body = this.item('model', 'msg-job');
      body.append(job.el);
      job.li = body.parentElement;
      this.running.add(job.li);
    }
    job.update(view, this.onWatch);
    if (['completed', 'failed', 'cancelled'].includes(view.status)) this.running.delete(job.li);
  }
}
