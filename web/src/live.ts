import { apiKey } from './api';
// One WebSocket to /ws for the whole page: subscriptions are reference-counted per key and sent again after a reconnect.
type Handler = (msg: any) => void;

interface Sub { request: Record<string, unknown>; handlers: Set<Handler> }

const subs = new Map<string, Sub>();
let ws: WebSocket | null = null;
let delay = 1000;
let opened = false;

function url(): string {
  // A browser's WebSocket cannot send headers: the key goes in the query (docs/access.md).
  const key = apiKey();
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${key ? `?access_token=${encodeURIComponent(key)}` : ''}`;
}

function send(msg: Record<string, unknown>): void {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function connect(): void {
  ws = new WebSocket(url());
  ws.onopen = () => {
    opened = true;
    delay = 1000;
    subs.forEach((s) => send({ op: 'subscribe', ...s.request }));
  };
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data as string);
    const key = keyOf(msg);
    if (key) subs.get(key)?.handlers.forEach((h) => h(msg));
  };
  ws.onclose = () => {
    ws = null;
    if (opened) {
      opened = false;
    }
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 5000);
  };
}

function keyOf(msg: any): string | null {
  switch (msg.op) {
    case 'tick': return `ticks:${msg.code}`;
    case 'book': return `book:${msg.code}`;
    case 'rankings': return `rankings:${msg.market}:${msg.metric}:${msg.n}`;
    case 'session': return 'session';
    case 'indices': return 'indices';
    default: return null;
  }
}

function subscribe(key: string, request: Record<string, unknown>, unsubscribe: Record<string, unknown>, handler: Handler): () => void {
  if (!ws) connect();
  let sub = subs.get(key);
  if (!sub) {
    sub = { request, handlers: new Set() };
    subs.set(key, sub);
    send({ op: 'subscribe', ...request });
  }
  sub.handlers.add(handler);
  return () => {
    const s = subs.get(key);
    if (!s) return;
    s.handlers.delete(handler);
    if (s.handlers.size === 0) {
      subs.delete(key);
      send({ op: 'unsubscribe', ...unsubscribe });
    }
  };
}

export const live = {
  ticks: (code: string, h: Handler) => subscribe(`ticks:${code}`, { channel: 'ticks', codes: [code] }, { channel: 'ticks', codes: [code] }, h),
  book: (code: string, h: Handler) => subscribe(`book:${code}`, { channel: 'book', codes: [code] }, { channel: 'book', codes: [code] }, h),
  rankings: (market: string, metric: string, n: number, h: Handler) => {
    const r = { channel: 'rankings', market, metric, n };
    return subscribe(`rankings:${market}:${metric}:${n}`, r, r, h);
  },
  session: (h: Handler) => subscribe('session', { channel: 'session' }, { channel: 'session' }, h),
  indices: (h: Handler) => subscribe('indices', { channel: 'indices' }, { channel: 'indices' }, h),
};
