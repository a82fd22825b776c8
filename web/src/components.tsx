import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type LiveStatus, type SessionMsg, type Stock } from './api';
import { kstDateTime } from './format';
import { t, tAny } from './i18n';
import { live } from './live';
import { navigate } from './router';

export function MarketBadge({ market }: { market: string }) {
  return <span class={`mkt mkt-${market.toLowerCase()}`}>{market}</span>;
}

/** The market phase with the next transition, from the /ws session channel. */
export function SessionBadge() {
  const [s, setS] = useState<SessionMsg | null>(null);
  useEffect(() => live.session(setS), []);
  if (!s) return <span class="badge phase">…</span>;
  const phase = s.alwaysOpen ? 'regular' : s.phase;
  return (
    <span class={`badge phase phase-${phase}`} data-testid="session-badge" title={`${tAny(`phase.${s.phase}`)} ${kstDateTime(s.at)}`}>
      {tAny(`phase.${phase}`)}
      {s.alwaysOpen && <small> ({t('alwaysOpen')} · {t('realPhase')} {tAny(`phase.${s.phase}`)})</small>}
      {s.next && <small> · {t('next')} {tAny(`phase.${s.next.phase}`)} {kstDateTime(s.next.at)}</small>}
    </span>
  );
}

/** SIMULATED / REPLAY banner whenever the live source is not a real feed. */
export function SourceBanner() {
  const [status, setStatus] = useState<LiveStatus | null>(null);
  useEffect(() => {
    let stop = false;
    const load = () => getJson<LiveStatus>('/api/live/status').then((x) => !stop && setStatus(x)).catch(() => undefined);
    load();
    const id = setInterval(load, 10_000);
    return () => { stop = true; clearInterval(id); };
  }, []);
  if (!status?.source) return null;
  const src = status.source.toLowerCase();
  if (src.includes('replay')) return <div class="banner replay" data-testid="source-banner">REPLAY · {t('replay')}</div>;
  if (src === 'simulated') {
    return (
      <div class="banner simulated" data-testid="source-banner">
        SIMULATED · {t('simulated')}{!status.sourceUp && ` (${t('sourceDown')})`}
      </div>
    );
  }
  return null;
}

/** Search by code or Korean/English name, with an autocomplete list (↑/↓, Enter). */
export function SearchBox() {
  const [q, setQ] = useState('');
  const [items, setItems] = useState<Stock[]>([]);
  const [sel, setSel] = useState(0);
  const [open, setOpen] = useState(false);
  const seq = useRef(0);
  useEffect(() => {
    const query = q.trim();
    if (!query) { setItems([]); return; }
    const mine = ++seq.current;
    const id = setTimeout(() => {
      getJson<Stock[]>(`/api/stocks?q=${encodeURIComponent(query)}&limit=8`)
        .then((r) => { if (mine === seq.current) { setItems(r); setSel(0); } })
        .catch(() => undefined);
    }, 120);
    return () => clearTimeout(id);
  }, [q]);
  const go = (s: Stock | undefined) => {
    if (!s) return;
    setQ(''); setItems([]); setOpen(false);
    navigate(`/stocks/${s.code}`);
  };
  return (
    <div class="search">
      <input
        type="search" value={q} placeholder={t('search')} aria-label={t('search')} data-testid="search"
        onInput={(e) => { setQ((e.target as HTMLInputElement).value); setOpen(true); }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') { setSel((i) => Math.min(i + 1, items.length - 1)); e.preventDefault(); }
          else if (e.key === 'ArrowUp') { setSel((i) => Math.max(i - 1, 0)); e.preventDefault(); }
          else if (e.key === 'Enter') go(items[sel]);
          else if (e.key === 'Escape') setOpen(false);
        }}
      />
      {open && items.length > 0 && (
        <ul class="suggest" role="listbox">
          {items.map((s, i) => (
            <li key={s.code} class={i === sel ? 'sel' : ''} onMouseDown={() => go(s)} role="option">
              <span class="code">{s.code}</span> {s.name} <MarketBadge market={s.market} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Tabs<T extends string>({ value, options, onChange, testid }: { value: T; options: [T, string][]; onChange: (v: T) => void; testid?: string }) {
  return (
    <div class="tabs" role="tablist" data-testid={testid}>
      {options.map(([v, label]) => (
        <button key={v} role="tab" aria-selected={v === value} class={v === value ? 'on' : ''} onClick={() => onChange(v)} data-value={v}>
          {label}
        </button>
      ))}
    </div>
  );
}
