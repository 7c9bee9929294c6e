// What shoppers do, counted by the shop's analytics (the funnel, searches): events queued
// and sent in batches of at most 50, every few seconds and when the page is hidden. The
// visitor is an anonymous random id this browser keeps; the server counts it once a day,
// keeps only its hash, and ignores visitors who ask not to be tracked (DNT, GPC).
import type { Schemas } from '../api/client';

type EventIn = Schemas['EventIn'];

const KEY = 'shop.visitor';
const MAX_BATCH = 50;
const EVERY_MS = 5_000;

let queue: EventIn[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

function newId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function visitor(): string {
  try {
    const kept = localStorage.getItem(KEY);
    if (kept !== null && /^[A-Za-z0-9_-]{16,64}$/.test(kept)) return kept;
    const made = newId();
    localStorage.setItem(KEY, made);
    return made;
  } catch {
    return newId();
  }
}

/** Takes the queued events in batches the API accepts. */
export function batches(events: EventIn[]): EventIn[][] {
  const out: EventIn[][] = [];
  for (let i = 0; i < events.length; i += MAX_BATCH) out.push(events.slice(i, i + MAX_BATCH));
  return out;
}

export function flush(): void {
  clearTimeout(timer);
  timer = undefined;
  const events = queue;
  queue = [];
  const who = visitor();
  for (const events_ of batches(events)) {
    const body = JSON.stringify({ visitor_id: who, batch_id: newId(), events: events_ });
    // keepalive: the batch still goes when the page is being left.
    void fetch('/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: true }).catch(
      () => undefined,
    );
  }
}

export function track(event: EventIn): void {
  queue.push(event);
  if (queue.length >= MAX_BATCH) flush();
  else timer ??= setTimeout(flush, EVERY_MS);
}

if (typeof document !== 'undefined') {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden' && queue.length > 0) flush();
  });
}
