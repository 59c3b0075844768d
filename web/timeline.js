// The session's draft drawn as lanes (one per track) with segments to scale, and the
// phrases that ask the chat agent to trim, move or delete a selected segment (the API
// edits drafts through the chat: docs/API.md, "Chat").
import { t, formatTime, language } from './i18n.js';

const KIND = { 0: 'video', 1: 'audio', 7: 'text' };

// Segments of a draft in the agent's terms: clips are numbered in time order across the
// video tracks ("clip 2"), as docs/AGENT.md counts them.
export function segmentsOf(draft, library) {
  const names = new Map(library.map((m) => [m.media_id, m.name]));
  const out = [];
  for (const [ti, track] of (draft.t || []).entries()) {
    const kind = KIND[track.tt] || 'video';
    for (const sg of track.sg || []) {
      const start = Number(sg.start || 0);
      const d = Number(sg.d || 0);
      const name =
        kind === 'text' ? sg.text || '' : (sg.m && sg.m.name) || names.get(sg.src) || sg.src || '';
      out.push({ id: sg.id || `${ti}-${start}`, track: ti, kind, start, d, name, volume: sg.volume, raw: sg });
    }
  }
  const clips = out.filter((s) => s.kind === 'video').sort((a, b) => a.start - b.start || a.track - b.track);
  clips.forEach((s, i) => (s.ordinal = i + 1));
  const music = out.filter((s) => s.kind === 'audio').sort((a, b) => a.start - b.start);
  music.forEach((s, i) => (s.ordinal = i + 1));
  return out;
}

function quote(text) {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `“${text}”`;
}

function seconds(ms) {
  const s = Math.round(ms / 100) / 10;
  return String(s);
}

// How the agent is told which segment is meant.
function targetPhrase(seg, zh) {
  if (seg.kind === 'video') return zh ? `片段${seg.ordinal}` : `clip ${seg.ordinal}`;
  if (seg.kind === 'audio') return zh ? '背景音乐' : 'the music';
  return zh ? `文字${quote(seg.name)}` : `the text ${quote(seg.name)}`;
}

export function trimPhrase(seg, ms) {
  const zh = language() === 'zh';
  return zh ? `把${targetPhrase(seg, zh)}剪到${seconds(ms)}秒` : `trim ${targetPhrase(seg, zh)} to ${seconds(ms)} seconds`;
}

export function movePhrase(seg, ms) {
  const zh = language() === 'zh';
  // The agent reads "move the text '...' to 2s" as a change of the text's place on the
  // picture; the quoted text alone names the segment for a move in time.
  const target = seg.kind === 'text' ? quote(seg.name) : targetPhrase(seg, zh);
  return zh ? `把${target}移到${seconds(ms)}秒` : `move ${target} to ${seconds(ms)}s`;
}

export function deletePhrase(seg) {
  const zh = language() === 'zh';
  return zh ? `删除${targetPhrase(seg, zh)}` : `remove ${targetPhrase(seg, zh)}`;
}

function laneLabel(kind) {
  return t(kind === 'audio' ? 'timeline.audio' : kind === 'text' ? 'timeline.text' : 'timeline.video');
}

// Draws the draft into `root`. onSelect(segment) runs when a segment is chosen (click,
// Enter or Space); `selectedId` keeps the current choice highlighted across redraws.
export function renderTimeline(root, draft, library, selectedId, onSelect) {
  root.replaceChildren();
  const segments = segmentsOf(draft, library);
  if (!segments.length) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = t('timeline.empty');
    root.append(p);
    return segments;
  }
  let total = Number(draft.d || 0);
  if (!total) for (const s of segments) total = Math.max(total, s.start + s.d);
  total = Math.max(total, 1000);

  const ruler = document.createElement('div');
  ruler.className = 'ruler';
  ruler.setAttribute('aria-hidden', 'true');
  const step = [1000, 2000, 5000, 10000, 30000, 60000, 300000].find((s) => total / s <= 10) || 600000;
  for (let ms = 0; ms <= total; ms += step) {
    const tick = document.createElement('span');
    tick.style.left = `${(ms / total) * 100}%`;
    tick.textContent = formatTime(ms);
    ruler.append(tick);
  }
  root.append(ruler);

  for (const [ti, track] of (draft.t || []).entries()) {
    const kind = KIND[track.tt] || 'video';
    const lane = document.createElement('div');
    lane.className = `lane lane-${kind}`;
    lane.setAttribute('role', 'group');
    const label = document.createElement('span');
    label.className = 'lane-label';
    label.textContent = (track.m && track.m.name) || laneLabel(kind);
    lane.setAttribute('aria-label', label.textContent);
    const area = document.createElement('div');
    area.className = 'lane-area';
    for (const seg of segments.filter((s) => s.track === ti)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `segment segment-${kind}`;
      b.dataset.segment = seg.id;
      b.style.left = `${(seg.start / total) * 100}%`;
      b.style.width = `${(Math.min(seg.d, total - seg.start) / total) * 100}%`;
      let text = seg.name;
      if (kind === 'audio' && typeof seg.volume === 'number') text += ` · ${Math.round(seg.volume * 100)}%`;
      b.textContent = text;
      b.title = `${text} (${formatTime(seg.start)}–${formatTime(seg.start + seg.d)})`;
      b.setAttribute(
        'aria-label',
        t('timeline.segment', {
          kind: laneLabel(kind),
          name: text,
          from: formatTime(seg.start),
          to: formatTime(seg.start + seg.d),
        }),
      );
      b.setAttribute('aria-pressed', String(seg.id === selectedId));
      b.addEventListener('click', () => onSelect(seg));
      area.append(b);
    }
    lane.append(label, area);
    root.append(lane);
  }
  return segments;
}
