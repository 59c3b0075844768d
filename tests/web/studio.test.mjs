// End-to-end tests of the studio page: a real `kino serve` on a free loopback port with a
// fresh data folder, driven in Debian's headless Chromium by playwright-core.
//
//   KINO_BIN=build/apps/kino/kino KINO_WEB_ARTIFACTS=out/ node tests/web/studio.test.mjs
//
// KINO_WEB_DIR=web/ tests the page's files as they are on disk (kino serve --web).
// Exit 77 (CTest: skipped) when playwright-core (npm ci in tests/web) or Chromium is
// missing. Screenshots of every step go to KINO_WEB_ARTIFACTS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const KINO = process.env.KINO_BIN;
const CHROMIUM = process.env.KINO_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.KINO_WEB_ARTIFACTS || path.join(os.tmpdir(), 'kino-web-artifacts');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('web tests skipped: playwright-core is not installed (run `npm ci` in tests/web)');
  process.exit(77);
}
if (!fs.existsSync(CHROMIUM)) {
  console.log(`web tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  process.exit(77);
}
if (!KINO || !fs.existsSync(KINO)) {
  console.error('KINO_BIN must name the kino binary');
  process.exit(1);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kino-web-'));
fs.rmSync(ARTIFACTS, { recursive: true, force: true });
fs.mkdirSync(ARTIFACTS, { recursive: true });

function ffmpeg(args) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

// Media the visitor uploads, made here with ffmpeg's lavfi sources.
const files = {
  image: path.join(work, 'sunrise.png'),
  music: path.join(work, 'tune.mp3'),
  big: path.join(work, 'holiday.mp4'),
  fake: path.join(work, 'fake.png'),
  clip: path.join(work, 'street.mp4'),
};

before(() => {
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=1', '-frames:v', '1', files.image]);
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4', '-c:a', 'libmp3lame', '-b:a', '64k', files.music]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15:duration=1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', files.clip]);
  // One byte over the 20 MB limit: the page must refuse it before sending anything.
  fs.writeFileSync(files.big, Buffer.alloc(20 * 1024 * 1024 + 1, 7));
  // A picture by name, text by content: only the server can tell (4001).
  fs.writeFileSync(files.fake, 'this is not a picture\n'.repeat(50));
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function startServer() {
  const data = fs.mkdtempSync(path.join(work, 'data-'));
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--data', data];
  // KINO_WEB_DIR: test a page folder instead of the copy built into the binary.
  if (process.env.KINO_WEB_DIR) args.push('--web', process.env.KINO_WEB_DIR);
  // No model: the built-in kino-tiny is switched off so the page's generation views are fed
  // their events directly (see below).
  const proc = spawn(KINO, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KINO_BUILTIN_MODEL: 'none' },
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kino serve did not start:\n${log}`)), 30000);
    const onData = (chunk) => {
      log += chunk;
      const m = /kino serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => (log += c));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kino serve exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    db: path.join(data, 'kino.db'),
    // Stops the server; fails when it had died before (a crash must not pass unseen).
    async stop() {
      if (this.stopped) return;
      this.stopped = true;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`kino serve died during the test (${proc.exitCode ?? proc.signalCode}):\n${log}`);
      }
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

// A new visitor: a fresh profile (--user-data-dir) and so an empty localStorage.
async function openBrowser(options = {}) {
  const profile = fs.mkdtempSync(path.join(work, 'profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return { context, page, errors };
}

// The console errors, less those the test provoked on purpose (a refused request is
// logged by Chromium itself as "Failed to load resource ... status of 401").
function unexpected(errors, allowedStatuses = [], allowed = []) {
  return errors.filter(
    (e) =>
      !allowedStatuses.some((s) => e.includes(`Failed to load resource: the server responded with a status of ${s}`)) &&
      !allowed.some((a) => e.includes(a)),
  );
}

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function sendChat(page, text) {
  const before = await page.locator('#chat-log .msg-model').count();
  await page.fill('#chat-input', text);
  await page.press('#chat-input', 'Enter');
  // The turn is over when the send button is enabled again.
  await page.waitForFunction(
    (n) => document.querySelectorAll('#chat-log .msg-model:not(.msg-working)').length > n &&
      !document.getElementById('chat-send').disabled,
    before,
    { timeout: 30000 },
  );
  return page.locator('#chat-log .msg-model .body').last().innerText();
}

test('a new visitor uploads, edits through the chat and the timeline, exports and watches the result', async () => {
  const server = await startServer();
  const { context, page, errors } = await openBrowser();
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('credits-value').textContent === '100');
    const token = await page.evaluate(() => localStorage.getItem('kino.token'));
    assert.match(token, /^[0-9a-f]{64}$/, 'an anonymous token is kept in localStorage');
    assert.equal(await page.locator('h2#chat-title').innerText(), 'Chat');
    await screenshot(page, 'new-visitor');

    // Several files at once through the file input of the upload area.
    await page.setInputFiles('#file-input', [files.image, files.music]);
    await page.waitForFunction(() => document.querySelectorAll('#library .card').length === 2, null, { timeout: 30000 });
    assert.equal(await page.locator('#uploads .upload-done').count(), 2);
    await page.waitForFunction(() => {
      const img = document.querySelector('#library .card-image img');
      return img && img.complete && img.naturalWidth === 640;
    });
    assert.equal(await page.locator('#library .card-audio').count(), 1);
    await screenshot(page, 'uploaded');

    // The picture goes onto the timeline from the library.
    await page.locator('#library .card-image button', { hasText: 'Add to timeline' }).click();
    await page.waitForSelector('#tracks .segment-video', { timeout: 30000 });
    await page.waitForFunction(() => !document.getElementById('chat-send').disabled);

    const titleReply = await sendChat(page, "add a title 'Urban Dreams' for the first 3 seconds");
    assert.match(titleReply, /Urban Dreams/);
    const title = page.locator('#tracks .segment-text');
    await title.waitFor();
    assert.equal(await title.innerText(), 'Urban Dreams');
    await screenshot(page, 'title');

    const musicReply = await sendChat(page, 'add the music at 35%');
    assert.match(musicReply, /35%/);
    const music = page.locator('#tracks .segment-audio');
    await music.waitFor();
    assert.match(await music.innerText(), /35%/);
    assert.equal(await page.locator('#tracks .lane').count(), 3, 'a lane per track');
    await screenshot(page, 'music');

    // Segments are drawn to scale: the 3 s title spans the 3 s picture.
    const titleBox = await title.boundingBox();
    const clipBox = await page.locator('#tracks .segment-video').boundingBox();
    assert.ok(Math.abs(titleBox.width - clipBox.width) <= 2, `title ${titleBox.width}px vs clip ${clipBox.width}px`);

    // Select the title with the keyboard and trim it to 2 seconds.
    await title.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#inspector:not([hidden])');
    assert.equal(await page.locator('#trim-seconds').inputValue(), '3');
    await page.fill('#trim-seconds', '2');
    await page.press('#trim-seconds', 'Enter');
    await page.waitForFunction(() => {
      const s = document.querySelector('#tracks .segment-text');
      return s && /0:02/.test(s.getAttribute('aria-label'));
    }, null, { timeout: 30000 });
    const trimmed = await page.locator('#tracks .segment-text').boundingBox();
    assert.ok(Math.abs(trimmed.width - (clipBox.width * 2) / 3) <= 3, `trimmed title ${trimmed.width}px`);
    await screenshot(page, 'trimmed');

    // Export with progress, a download link, and the result in the player.
    await page.click('#export');
    await page.waitForSelector('#export-status progress');
    const link = page.locator('#export-status a.download');
    await link.waitFor({ timeout: 180000 });
    const href = await link.getAttribute('href');
    await page.waitForFunction(() => {
      const v = document.getElementById('player');
      return v.readyState >= 1 && v.duration > 0;
    }, null, { timeout: 30000 });
    const video = await page.evaluate(() => {
      const v = document.getElementById('player');
      return { src: v.currentSrc, duration: v.duration, width: v.videoWidth, height: v.videoHeight };
    });
    assert.equal(video.src, href);
    assert.match(await page.locator('#export-status .job-status').innerText(), /ready · \d+ KB/);
    assert.ok(Math.abs(video.duration - 3) < 0.15, `exported duration ${video.duration} s, want 3 s`);
    assert.deepEqual([video.width, video.height], [1920, 1080]);
    const head = await fetch(href, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const size = Number(head.headers.get('content-length'));
    assert.ok(size > 10000, `export is ${size} bytes`);
    await screenshot(page, 'exported');

    // An export asked for in the chat streams its progress into the chat as it runs.
    await page.fill('#chat-input', 'export');
    await page.press('#chat-input', 'Enter');
    const chatJob = page.locator('#chat-log .msg-job .job');
    await chatJob.waitFor({ timeout: 30000 });
    assert.equal(await chatJob.locator('progress').count(), 1);
    await chatJob.locator('a.download').waitFor({ timeout: 180000 });
    assert.equal(await chatJob.getAttribute('data-status'), 'completed');
    await page.waitForFunction(() => !document.getElementById('chat-send').disabled, null, { timeout: 30000 });
    assert.match(await page.locator('#chat-log .msg-model .body').last().innerText(), /ready|http/i);
    await screenshot(page, 'chat-export');

    // Move the title in time, then delete the music, from the timeline.
    await page.locator('#tracks .segment-text').click();
    await page.fill('#move-seconds', '1');
    await page.locator('#move-form button').click();
    await page.waitForFunction(() => {
      const s = document.querySelector('#tracks .segment-text');
      return s && /0:01 to 0:03/.test(s.getAttribute('aria-label'));
    }, null, { timeout: 30000 });
    await page.locator('#tracks .segment-audio').click();
    await page.locator('#delete-segment').click();
    await page.waitForFunction(() => !document.querySelector('#tracks .segment-audio'), null, { timeout: 30000 });
    assert.equal(await page.locator('#tracks .lane').count(), 2);
    assert.equal(await page.locator('#inspector').isHidden(), true);
    await screenshot(page, 'moved-and-deleted');

    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('phone width in Chinese: uploads too large or of the wrong type are explained', async () => {
  const server = await startServer();
  const { context, page, errors } = await openBrowser({
    viewport: { width: 390, height: 844 },
    locale: 'zh-CN',
    isMobile: true,
    hasTouch: true,
  });
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('credits-value').textContent === '100');
    assert.equal(await page.locator('h2#chat-title').innerText(), '对话', 'the browser language picks Chinese');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);

    await page.setInputFiles('#file-input', [files.big]);
    const tooLarge = page.locator('#uploads .upload-error .upload-status').first();
    await tooLarge.waitFor();
    assert.match(await tooLarge.innerText(), /20 MB/);
    assert.match(await tooLarge.innerText(), /holiday\.mp4/);
    await screenshot(page, 'phone-too-large');

    // Dropped on the upload area; it passes the page's checks, then the server probes it
    // and refuses (4001).
    const fake = fs.readFileSync(files.fake).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'fake.png', { type: 'image/png' }));
      document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, fake);
    await page.waitForFunction(() => document.querySelectorAll('#uploads .upload-error').length === 2, null, {
      timeout: 30000,
    });
    assert.match(await page.locator('#uploads .upload-status').first().innerText(), /fake\.png.*不是支持的文件类型/);
    assert.equal(await page.locator('#library .card').count(), 0);

    // A picture and a clip that are fine: their library cards fit the phone too, and the
    // clip's thumbnail is its first frame.
    await page.setInputFiles('#file-input', [files.image, files.clip]);
    await page.waitForFunction(() => document.querySelectorAll('#library .card').length === 2, null, { timeout: 30000 });
    await page.waitForFunction(() => {
      const v = document.querySelector('#library .card-video video');
      return v && v.readyState >= 2 && v.videoWidth === 320;
    }, null, { timeout: 30000 });
    const overflowAfter = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflowAfter <= 0, `with a library card the page is ${overflowAfter}px wider than the phone`);

    // Every control has a name a screen reader can say, and is reachable with Tab.
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button, input, select, textarea, a[href]'))
        .filter((el) => {
          if (el.closest('[hidden]')) return false;
          const labelled = el.labels && Array.from(el.labels).some((l) => l.textContent.trim());
          const name = el.getAttribute('aria-label') || el.textContent.trim() || el.title || labelled;
          return !name || el.tabIndex < 0;
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);

    await page.selectOption('#lang', 'en');
    assert.equal(await page.locator('h2#chat-title').innerText(), 'Chat');
    assert.equal(await page.evaluate(() => localStorage.getItem('kino.lang')), 'en');
    await screenshot(page, 'phone-english');

    assert.deepEqual(unexpected(errors, [415]), []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('switching to Chinese before any work restarts the project in Chinese', async () => {
  const server = await startServer();
  const { context, page, errors } = await openBrowser({ locale: 'en-US' });
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('credits-value').textContent === '100');
    const english = await page.evaluate(() => localStorage.getItem('kino.session'));
    await page.selectOption('#lang', 'zh');
    await page.waitForFunction((old) => localStorage.getItem('kino.session') !== old, english);
    assert.equal(await page.locator('#chat-log .msg').count(), 1, 'only the welcome, now in Chinese');
    assert.match(await page.locator('#chat-log .msg .body').first().innerText(), /你好/);
    assert.match(await sendChat(page, '积分'), /积分.*100|100.*积分/);
    await screenshot(page, 'chinese');
    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
    await server.stop();
  }
});

// No model is installed in tests, so the events of a generation are fed to the page's
// chat view as the server would stream them.
test('the chat draws a generation job from its stream events', async () => {
  const server = await startServer();
  const { context, page, errors } = await openBrowser();
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('credits-value').textContent === '100');
    const seen = await page.evaluate(async () => {
      const { ChatView } = await import('/chat.js');
      const list = document.createElement('ol');
      document.body.append(list);
      const watched = [];
      const view = new ChatView(list, { onWatch: (url, automatic, label) => watched.push([url, automatic, label]) });
      const ev = (parts, extra = {}) => ({ author: 'nemo_agent', content: { role: 'model', parts }, ...extra });
      const res = (response) => ev([{ functionResponse: { id: 'adk-1', name: 'generate', response } }]);
      const job = { id: 'gen_1', prompt: 'a fox in the snow', seconds: 5 };
      const states = [];
      const state = () => {
        const j = list.querySelector('.job');
        states.push({
          label: j.querySelector('.job-label').textContent,
          status: j.querySelector('.job-status').textContent,
          value: j.querySelector('progress').value,
          order: Array.from(list.children).map((li) => (li.querySelector('.job') ? 'job' : li.textContent)),
        });
      };
      view.event(ev([{ functionCall: { id: 'adk-1', name: 'generate', args: { prompt: 'a fox in the snow' } } }]));
      view.event(res({ ...job, status: 'queued', progress: 0 }));
      view.event(ev([{ text: 'Generating a 5 s clip.' }]));
      state();
      view.event(res({ ...job, status: 'running', progress: 0.4, stage: 'denoise', step: 8, steps: 20 }));
      state();
      view.event(res({ ...job, status: 'completed', progress: 1, media: { url: 'http://127.0.0.1:9/clip.mp4' } }));
      view.event(ev([{ text: 'Your clip is ready.' }], { turnComplete: true }));
      state();
      const link = list.querySelector('.job a.download');
      list.remove();
      return { states, watched, href: link && link.getAttribute('href') };
    });
    const [queued, running, done] = seen.states;
    assert.equal(queued.label, 'New clip: a fox in the snow');
    assert.equal(queued.status, 'waiting to start');
    assert.deepEqual(queued.order.slice(-2), ['kinoGenerating a 5 s clip.', 'job'], 'a running job stays below new text');
    assert.equal(running.status, 'generating 40% · step 8 of 20');
    assert.ok(Math.abs(running.value - 0.4) < 1e-6);
    assert.equal(done.status, 'ready');
    assert.equal(done.value, 1);
    assert.deepEqual(done.order.slice(-2), ['job', 'kinoYour clip is ready.']);
    assert.equal(seen.href, 'http://127.0.0.1:9/clip.mp4');
    assert.deepEqual(seen.watched, [['http://127.0.0.1:9/clip.mp4', true, 'New clip: a fox in the snow']]);
    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
    await server.stop();
  }
});

function expireTokens(db) {
  execFileSync('python3', [
    '-c',
    'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE tokens SET expires_ms = 1"); c.commit()',
    db,
  ]);
}

test('an expired token is replaced without the visitor noticing', async () => {
  const server = await startServer();
  const { context, page, errors } = await openBrowser();
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('credits-value').textContent === '100');
    const first = await page.evaluate(() => localStorage.getItem('kino.token'));

    // Expires while the page is open: the next request gets 1001 and is sent again.
    expireTokens(server.db);
    const reply = await sendChat(page, 'credits');
    assert.match(reply, /100 credits/);
    const second = await page.evaluate(() => localStorage.getItem('kino.token'));
    assert.match(second, /^[0-9a-f]{64}$/);
    assert.notEqual(second, first);

    // Expires between visits: the reload starts with the stored token.
    expireTokens(server.db);
    await page.reload();
    await page.waitForFunction(
      (old) => document.getElementById('credits-value').textContent === '100' && localStorage.getItem('kino.token') !== old,
      second,
    );
    assert.equal(await page.locator('#chat-log .msg-error').count(), 0);
    assert.equal(await page.locator('#toast:not([hidden])').count(), 0);
    await screenshot(page, 'token-replaced');

    // The server goes away: the chat says so in words.
    await server.stop();
    await page.fill('#chat-input', 'credits');
    await page.press('#chat-input', 'Enter');
    const lost = page.locator('#chat-log .msg-error .body');
    await lost.waitFor();
    assert.match(await lost.innerText(), /Cannot reach the kino server/);
    await page.waitForFunction(() => !document.getElementById('chat-send').disabled);
    await screenshot(page, 'server-gone');

    assert.deepEqual(unexpected(errors, [401], ['net::ERR_CONNECTION_REFUSED']), []);
  } finally {
    await context.close();
    await server.stop();
  }
});
