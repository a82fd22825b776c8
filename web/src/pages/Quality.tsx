import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import { addDays, kstDateTime, num } from '../format';
import { t } from '../i18n';

interface Run { id: number; job: string; parameters: string | null; status: string; rowsRead: number; rowsAccepted: number; rowsQuarantined: number; startedAt: string; finishedAt: string | null; error: string | null }
interface Quarantined { id: number; runId: number; dataset: string; source: string; code: string | null; date: string | null; reasons: string[]; payload: string; line: number; quarantinedAt: string }
interface Day { date: string; isSession: boolean; rawBars: number; adjustedBars: number; quarantined: number; quarantinedByReason: Record<string, number>; listedWithoutBar: number; missingData: boolean; provisional: boolean }
interface Range { from: string; to: string; sessions: number; sessionsWithoutData: string[]; days: Day[] }
interface Component { name: string; status: string; description: string }
interface Health { status: string; backend: string; components: Component[] | null; collection: { kiwoom: string; krx: string; scheduled: string[] } | null; calendarEndsOn: string | null; calendarPublishedThrough: string | null; calendarNotice: string | null }
interface CalendarRange { from: string; to: string; sessions: number; publishedThrough: string; coveredThrough: string; days: { date: string; session: boolean; provisional: boolean; reason: string | null }[] }
interface LiveStatus { source: string | null; sourceUp: boolean; runsHere: boolean; node: string }

const REASONS = ['', 'unknown_code', 'ohlc_inconsistent', 'missing_field', 'non_numeric_field', 'invalid_code', 'non_positive_price', 'negative_volume',
  'not_a_session', 'future_date', 'conflicting_duplicate', 'outside_price_limit', 'off_tick_grid', 'bad_payload', 'source_refused', 'outside_session_hours'];

export function QualityPage() {
  const [from, setFrom] = useState('2024-01-02');
  const [to, setTo] = useState('2024-02-13');
  const [range, setRange] = useState<Range | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setRange(null); setError(null);
    getJson<Range>(`/api/quality?from=${from}&to=${to}`).then(setRange).catch((e: Error) => setError(e.message));
  }, [from, to]);
  // Quarantined rows by reason over the chosen range (rows whose date falls in it).
  const counts = new Map<string, number>();
  range?.days.forEach((d) => Object.entries(d.quarantinedByReason).forEach(([r, n]) => counts.set(r, (counts.get(r) ?? 0) + n)));
  return (
    <div class="page quality">
      <div class="grid2">
        <SourceStatus />
        <CalendarCoverage />
      </div>
      <Runs />
      <Quarantine counts={counts} />
      <Missing from={from} to={to} setFrom={setFrom} setTo={setTo} range={range} error={error} />
    </div>
  );
}

function SourceStatus() {
  const [h, setH] = useState<Health | null>(null);
  const [l, setL] = useState<LiveStatus | null>(null);
  useEffect(() => {
    fetch('/health/ready').then((r) => r.json()).then(setH).catch(() => undefined);
    getJson<LiveStatus>('/api/live/status').then(setL).catch(() => undefined);
  }, []);
  return (
    <section class="card" data-testid="source-status">
      <h2>{t('sourceStatus')}</h2>
      <dl>
        {h?.components?.map((c) => (
          <Fragment key={c.name}>
            <dt>{c.name}</dt>
            <dd class={c.status === 'healthy' ? '' : 'down'} data-status={c.status} title={c.description}>{c.name === 'store' ? `${c.status} · ${h.backend}` : c.status} · {c.description}</dd>
          </Fragment>
        )) ?? <><dt>store</dt><dd>…</dd></>}
        <dt>jobs</dt><dd>{h?.collection?.scheduled.join(', ') || t('none')}</dd>
        <dt>{t('liveSource')}</dt><dd>{l ? `${l.source ?? t('none')} · ${l.sourceUp ? 'up' : 'down'}${l.runsHere ? ' · here' : ''}` : '…'}</dd>
      </dl>
    </section>
  );
}

function CalendarCoverage() {
  const [h, setH] = useState<Health | null>(null);
  const [cal, setCal] = useState<CalendarRange | null>(null);
  const year = new Date().getUTCFullYear() + 1;
  useEffect(() => {
    fetch('/health/ready').then((r) => r.json()).then(setH).catch(() => undefined);
    getJson<CalendarRange>(`/api/calendar?from=${year}-01-01&to=${year}-12-31`).then(setCal).catch(() => undefined);
  }, []);
  const provisional = cal?.days.filter((d) => d.provisional).length ?? 0;
  return (
    <section class="card" data-testid="calendar-coverage">
      <h2>{t('calendarCoverage')}</h2>
      <dl>
        <dt>{t('published')}</dt><dd>{h?.calendarPublishedThrough ?? '…'}</dd>
        <dt>{t('provisional')}</dt><dd>{h?.calendarPublishedThrough && h.calendarEndsOn ? `${addDays(h.calendarPublishedThrough, 1)} – ${h.calendarEndsOn}` : '…'}</dd>
        <dt>{year}</dt><dd>{cal ? `${cal.sessions} sessions · ${provisional} provisional days` : '…'}</dd>
      </dl>
      {h?.calendarNotice && <p class="stale">{h.calendarNotice}</p>}
    </section>
  );
}

function Runs() {
  const [runs, setRuns] = useState<Run[] | null>(null);
  useEffect(() => { getJson<Run[]>('/api/collection/runs?limit=50').then(setRuns).catch(() => setRuns([])); }, []);
  return (
    <section class="card">
      <h2>{t('runs')}</h2>
      <div class="table-wrap">
        <table data-testid="runs">
          <thead><tr><th>#</th><th>{t('job')}</th><th>{t('status')}</th><th class="num">{t('read')}</th><th class="num">{t('accepted')}</th><th class="num">{t('quarantined')}</th><th>{t('started')}</th><th>{t('error')}</th></tr></thead>
          <tbody>{runs?.map((r) => (
            <tr key={r.id}><td>{r.id}</td><td>{r.job}</td><td class={`status-${r.status}`}>{r.status}</td><td class="num">{num(r.rowsRead)}</td>
              <td class="num">{num(r.rowsAccepted)}</td><td class="num">{num(r.rowsQuarantined)}</td><td>{kstDateTime(r.startedAt)}</td><td class="error">{r.error ?? ''}</td></tr>
          ))}</tbody>
        </table>
      </div>
    </section>
  );
}

function Quarantine({ counts }: { counts: Map<string, number> }) {
  const [reason, setReason] = useState('');
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState<Quarantined[] | null>(null);
  useEffect(() => {
    setRows(null);
    getJson<Quarantined[]>(`/api/quarantine?limit=25&offset=${offset}${reason ? `&reason=${reason}` : ''}`).then(setRows).catch(() => setRows([]));
  }, [reason, offset]);
  return (
    <section class="card">
      <div class="toolbar">
        <h2>{t('quarantine')}</h2>
        <label>{t('reason')} <select value={reason} data-testid="reason" onChange={(e) => { setReason((e.target as HTMLSelectElement).value); setOffset(0); }}>
          {REASONS.map((r) => <option key={r} value={r}>{r || t('all')}</option>)}
        </select></label>
      </div>
      <p data-testid="reason-counts">
        {[...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => (
          <button type="button" key={r} class="tag" onClick={() => { setReason(r); setOffset(0); }}>{r} {num(n)}</button>
        ))}
      </p>
      <div class="table-wrap">
        <table data-testid="quarantine">
          <thead><tr><th>{t('reason')}</th><th>dataset</th><th>{t('codes')}</th><th>{t('date')}</th><th>{t('source')}</th><th>{t('payload')}</th></tr></thead>
          <tbody>{rows?.map((q) => (
            <tr key={q.id}><td>{q.reasons.map((r) => <span class="tag" key={r}>{r}</span>)}</td><td>{q.dataset}</td><td>{q.code ?? '—'}</td><td>{q.date ?? '—'}</td>
              <td class="small">{q.source} #{q.line}</td><td><details><summary>{q.payload.slice(0, 40)}</summary><pre>{q.payload}</pre></details></td></tr>
          ))}</tbody>
        </table>
      </div>
      {rows && rows.length === 0 && <p class="muted">{t('none')}</p>}
      <div class="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - 25))}>{t('prev')}</button>
        <button type="button" disabled={!rows || rows.length < 25} onClick={() => setOffset(offset + 25)}>{t('nextPage')}</button>
      </div>
    </section>
  );
}

function Missing({ from, to, setFrom, setTo, range, error }:
  { from: string; to: string; setFrom: (v: string) => void; setTo: (v: string) => void; range: Range | null; error: string | null }) {
  const partial = range?.days.filter((d) => d.isSession && d.listedWithoutBar > 0 && !d.missingData) ?? [];
  return (
    <section class="card" data-testid="missing">
      <div class="toolbar">
        <h2>{t('missingSessions')}</h2>
        <label>{t('from')} <input type="date" value={from} onChange={(e) => setFrom((e.target as HTMLInputElement).value)} /></label>
        <label>{t('to')} <input type="date" value={to} onChange={(e) => setTo((e.target as HTMLInputElement).value)} /></label>
      </div>
      {error && <p class="error">{error}</p>}
      {range && (
        <>
          <p>{range.sessions} sessions · {range.sessionsWithoutData.length} without any data{range.sessionsWithoutData.length > 0 && `: ${range.sessionsWithoutData.slice(0, 30).join(', ')}${range.sessionsWithoutData.length > 30 ? ' …' : ''}`}</p>
          <div class="table-wrap">
            <table>
              <thead><tr><th>{t('date')}</th><th class="num">raw</th><th class="num">adjusted</th><th class="num">{t('quarantined')}</th><th class="num">listed w/o bar</th></tr></thead>
              <tbody>{partial.slice(0, 60).map((d) => (
                <tr key={d.date}><td>{d.date}{d.provisional ? ' *' : ''}</td><td class="num">{num(d.rawBars)}</td><td class="num">{num(d.adjustedBars)}</td><td class="num">{num(d.quarantined)}</td><td class="num">{num(d.listedWithoutBar)}</td></tr>
              ))}</tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
