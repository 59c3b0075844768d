// The page's words in English and Chinese. t(key, vars) fills {name} placeholders.
const STRINGS = {
  en: {
    skip: 'Skip to the chat',
    studio: 'studio',
    credits: 'Credits',
    language: 'Language',
    'chat.title': 'Chat',
    'chat.label': 'Message',
    'chat.placeholder': "Tell me what to do: add a title 'Summer' for the first 3 seconds",
    'chat.send': 'Send',
    'chat.you': 'You',
    'chat.kino': 'kino',
    'chat.working': 'Working…',
    'chat.busy': 'One moment: the previous request is still being answered.',
    'chat.welcome':
      'Hi! Upload pictures, clips or music, then tell me what to make: "add a title \'Summer\' for the first 3 seconds", "add the music at 35%", "make it vertical", "export".',
    'chat.noReply': 'Done. The timeline shows the result.',
    'job.export': 'Export',
    'job.generate': 'New clip',
    'job.queued': 'waiting to start',
    'job.rendering': 'rendering {pct}%',
    'job.running': 'generating {pct}%',
    'job.step': 'step {step} of {steps}',
    'job.completed': 'ready',
    'job.failed': 'failed',
    'job.cancelled': 'cancelled',
    'job.download': 'Download MP4',
    'job.downloadClip': 'Download clip',
    'job.watch': 'Watch',
    'preview.title': 'Preview',
    'preview.empty': 'Export or pick a clip to watch it here.',
    'preview.playing': 'Playing: {name}',
    'media.title': 'Media',
    'media.empty': 'Nothing uploaded yet.',
    'media.add': 'Add to timeline',
    'media.addMusic': 'Use as music',
    'media.watch': 'Watch',
    'media.image': 'Image',
    'media.video': 'Video',
    'media.audio': 'Audio',
    'upload.drop': 'Drop images, videos or music here',
    'upload.choose': 'Choose files',
    'upload.rules': 'mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac · up to 20 MB each',
    'upload.sending': 'uploading {pct}%',
    'upload.done': 'uploaded',
    'upload.tooLarge': '{name} ({size}) is larger than the 20 MB limit. Compress or trim it and try again.',
    'upload.badType':
      '{name} is not a supported file type. Use mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a or aac.',
    'upload.empty': '{name} is empty.',
    'timeline.title': 'Timeline',
    'timeline.empty': 'The timeline is empty: upload media, then add it here or ask in the chat.',
    'timeline.video': 'Video',
    'timeline.audio': 'Music',
    'timeline.text': 'Text',
    'timeline.segment': '{kind} {name}, {from} to {to}',
    'edit.trim': 'Length (s)',
    'edit.trimApply': 'Trim',
    'edit.move': 'Start at (s)',
    'edit.moveApply': 'Move',
    'edit.delete': 'Delete',
    'edit.close': 'Close',
    'export.title': 'Export',
    'export.button': 'Export MP4',
    'export.empty': 'Add something to the timeline first.',
    'error.network': 'Cannot reach the kino server. Check the connection and try again.',
    'error.1002': 'This project no longer exists; a new one was started.',
    'error.2001': 'You are out of credits. Ask the server admin for more.',
    'error.4001': 'That file type is not supported. Use mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a or aac.',
    'error.4002': 'That file is larger than 20 MB. Compress or trim it and try again.',
    'error.429': 'Too many requests at once. Wait a few seconds and try again.',
    'error.402': 'This server needs attribution headers for exports.',
    'error.503': 'The server is busy or restarting. Try again in a moment.',
    'error.500': 'Something went wrong on the server: {message}',
    'error.other': 'That did not work: {message}',
  },
  zh: {
    skip: '跳到对话',
    studio: '工作室',
    credits: '积分',
    language: '语言',
    'chat.title': '对话',
    'chat.label': '消息',
    'chat.placeholder': '告诉我要做什么：添加标题“夏天”，前3秒',
    'chat.send': '发送',
    'chat.you': '你',
    'chat.kino': 'kino',
    'chat.working': '处理中…',
    'chat.busy': '请稍等：上一个请求还在处理中。',
    'chat.welcome':
      '你好！先上传图片、视频或音乐，再告诉我要做什么：“添加标题“夏天”，前3秒”、“添加背景音乐，音量35%”、“改成竖屏”、“导出”。',
    'chat.noReply': '完成。时间线显示了结果。',
    'job.export': '导出',
    'job.generate': '新片段',
    'job.queued': '等待开始',
    'job.rendering': '渲染中 {pct}%',
    'job.running': '生成中 {pct}%',
    'job.step': '第 {step}/{steps} 步',
    'job.completed': '已完成',
    'job.failed': '失败',
    'job.cancelled': '已取消',
    'job.download': '下载 MP4',
    'job.downloadClip': '下载片段',
    'job.watch': '观看',
    'preview.title': '预览',
    'preview.empty': '导出或选择一个片段后在这里观看。',
    'preview.playing': '正在播放：{name}',
    'media.title': '素材',
    'media.empty': '还没有上传任何素材。',
    'media.add': '加入时间线',
    'media.addMusic': '用作背景音乐',
    'media.watch': '观看',
    'media.image': '图片',
    'media.video': '视频',
    'media.audio': '音频',
    'upload.drop': '把图片、视频或音乐拖到这里',
    'upload.choose': '选择文件',
    'upload.rules': 'mp4、mov、avi、webm、mkv、jpg、png、gif、webp、mp3、wav、m4a、aac · 每个最大 20 MB',
    'upload.sending': '上传中 {pct}%',
    'upload.done': '已上传',
    'upload.tooLarge': '{name}（{size}）超过 20 MB 上限。请压缩或剪短后重试。',
    'upload.badType':
      '{name} 不是支持的文件类型。请使用 mp4、mov、avi、webm、mkv、jpg、png、gif、webp、mp3、wav、m4a 或 aac。',
    'upload.empty': '{name} 是空文件。',
    'timeline.title': '时间线',
    'timeline.empty': '时间线是空的：先上传素材，再加入时间线或在对话里说明。',
    'timeline.video': '视频',
    'timeline.audio': '音乐',
    'timeline.text': '文字',
    'timeline.segment': '{kind} {name}，{from} 到 {to}',
    'edit.trim': '时长（秒）',
    'edit.trimApply': '剪辑',
    'edit.move': '开始于（秒）',
    'edit.moveApply': '移动',
    'edit.delete': '删除',
    'edit.close': '关闭',
    'export.title': '导出',
    'export.button': '导出 MP4',
    'export.empty': '请先在时间线上添加内容。',
    'error.network': '无法连接 kino 服务器。请检查网络后重试。',
    'error.1002': '这个项目已不存在，已新建一个项目。',
    'error.2001': '积分不足。请联系服务器管理员添加积分。',
    'error.4001': '不支持这种文件类型。请使用 mp4、mov、avi、webm、mkv、jpg、png、gif、webp、mp3、wav、m4a 或 aac。',
    'error.4002': '文件超过 20 MB。请压缩或剪短后重试。',
    'error.429': '请求太频繁。请等几秒再试。',
    'error.402': '此服务器导出时需要署名请求头。',
    'error.503': '服务器繁忙或正在重启。请稍后再试。',
    'error.500': '服务器出错：{message}',
    'error.other': '操作没有成功：{message}',
  },
};

const LANG_KEY = 'kino.lang';
let current = 'en';

export function initialLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && STRINGS[saved]) return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    const tag = String(l || '').toLowerCase();
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

export function language() {
  return current;
}

export function t(key, vars = {}) {
  const s = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// Switches the page's words; `save` remembers an explicit choice.
export function setLanguage(lang, save) {
  current = STRINGS[lang] ? lang : 'en';
  if (save) localStorage.setItem(LANG_KEY, current);
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder);
}

// "3.2 MB" / "512 KB".
export function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

// "0:03" / "1:02.5" from milliseconds.
export function formatTime(ms) {
  const s = Math.max(0, ms) / 1000;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  const sec = Number.isInteger(rest) ? String(rest) : rest.toFixed(1);
  return `${m}:${rest < 10 ? '0' : ''}${sec}`;
}

// The words for an API error (an ApiError or a network failure).
export function errorText(err) {
  if (!err) return t('error.network');
  if (err.code === undefined) {
    // fetch and XMLHttpRequest fail with a TypeError when the server cannot be reached.
    if (err instanceof TypeError && /fetch|network|load/i.test(err.message)) return t('error.network');
    return t('error.other', { message: err.message || String(err) });
  }
  const key = `error.${err.code}`;
  if (err.code === 500) return t(key, { message: err.message });
  if (STRINGS.en[key]) return t(key);
  return t('error.other', { message: err.message });
}
