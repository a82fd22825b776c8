import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, getJson } from '../api';
import { MarketBadge } from '../components';
import { AlertChannelsPanel } from './AlertChannels';
import { kstDateTime, num } from '../format';
import { t } from '../i18n';

interface Cond { id: number; name: string; expression: string; market: string | null; schedule: string; intervalSeconds: number; channels: string[]; lastSession: string | null }
interface Match { code: string; name: string; market: string; close: number; values: Record<string, unknown> }
interface Screen { date: string; basis: string; live: string | null; universe: number; matched: number; notEnoughHistory: number; withoutBar: number; stocks: Match[] }
interface Ev { id: number; code: string; event: string; at: string; session: string; values: Record<string, unknown> }
interface Alert { id: number; conditionId: number; code: string; event: string; channel: string; message: string; status: string; attempts: number; lastError: string | null; createdAt: string }
interface Err { msg: string; col?: number; expr: string }

const SHOWN = 100;
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const val = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v ?? '—'));
const values = (v: Record<string, unknown>) => Object.entries(v).map(([k, x]) => `${k}=${val(x)}`).join(', ');

/** Saved conditions (create, delete, entry/exit history), an ad-hoc screen of the expression, and the alert outbox. */
export function ConditionsPage() {
  const [list, setList] = useState<Cond[] | null>(null);
  const [expr, setExpr] = useState('close > sma(close, 20) and volume > 2 * avg(volume, 20)');
  const [err, setErr] = useState<Err | null>(null);
  const [screen, setScreen] = useState<Screen | null>(null);
  const [sel, setSel] = useState<number | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const load = () => getJson<Cond[]>('/api/conditions').then(setList).catch((e: Error) => setErr({ msg: e.message, expr: '' }));
  useEffect(() => { load(); }, []);
  const field = (k: string) => String(new FormData(form.current!).get(k) ?? '').trim();
  const attempt = async (f: () => Promise<unknown>) => {
    setErr(null);
    try { await f(); } catch (e) { setErr({ msg: (e as Error).message, col: (e as ApiError).body?.column, expr }); }
  };

  const save = (e: Event) => {
    e.preventDefault();
    attempt(async () => {
      const c = await getJson<Cond>('/api/conditions', post({
        name: field('name'), expression: expr, market: field('market') || null, schedule: field('schedule'),
        intervalSeconds: Number(field('interval')), channels: field('channels').split(/[\s,]+/).filter(Boolean),
      }));
      await load();
      setSel(c.id);
    });
  };
  const preview = () => attempt(async () => { setScreen(null); setScreen(await getJson<Screen>('/api/screen', post({ expression: expr, market: field('market') || null }))); });
  const remove = (id: number) => attempt(async () => {
    await getJson(`/api/conditions/${id}`, { method: 'DELETE' });
    if (sel === id) setSel(null);
    await load();
  });
  const keys = screen?.stocks[0] ? Object.keys(screen.stocks[0].values) : [];

  return (
    <div class="page conditions">
      <form class="card bt-form" ref={form} onSubmit={save} data-testid="condition-form">
        <label class="span2">{t('expression')}
          <input name="expression" class="mono" value={expr} onInput={(e) => setExpr((e.target as HTMLInputElement).value)} required />
        </label>
        {err && (
          <pre class="error span2 cond-err" data-testid="condition-error" data-column={err.col}>
            {err.msg}{err.col ? `\n${err.expr}\n${' '.repeat(err.col - 1)}^` : ''}
          </pre>
        )}
        <label>{t('condName')}<input name="name" required /></label>
        <label>{t('market')}
          <select name="market"><option value="">{t('all')}</option><option>KOSPI</option><option>KOSDAQ</option><option>KONEX</option></select>
        </label>
        <label>{t('schedule')}
          <select name="schedule"><option>interval</option><option>on-tick</option><option>eod</option></select>
        </label>
        <label>{t('interval')}<input name="interval" type="number" min={5} value="30" /></label>
        <label>{t('channels')}<input name="channels" value="log" /></label>
        <button type="button" onClick={preview} data-testid="screen-now">{t('screenNow')}</button>
        <button type="submit" class="primary" data-testid="save-condition">{t('save')}</button>
      </form>
      {screen && (
        <section class="card table-wrap" data-testid="screen-result">
          <p data-testid="screen-count" data-matched={screen.matched} data-universe={screen.universe}>
            <b>{num(screen.matched)}</b> / {num(screen.universe)} · {screen.date} · {screen.live ? `${t('liveRanking')} (${screen.live})` : screen.basis}
            <span class="muted"> · {t('notEnough')} {num(screen.notEnoughHistory)}, {t('noBar')} {num(screen.withoutBar)}</span>
          </p>
          <table>
            <thead><tr><th>{t('name')}</th><th class="num">{t('price')}</th>{keys.map((k) => <th key={k} class="num mono">{k}</th>)}</tr></thead>
            <tbody>{screen.stocks.slice(0, SHOWN).map((s) => (
              <tr key={s.code}><td><a href={`/stocks/${s.code}`}>{s.name}</a> <span class="muted">{s.code}</span> <MarketBadge market={s.market} /></td>
                <td class="num">{num(s.close)}</td>{keys.map((k) => <td key={k} class="num">{val(s.values[k])}</td>)}</tr>
            ))}</tbody>
          </table>
          {screen.stocks.length > SHOWN && <p class="muted small">{SHOWN} / {num(screen.stocks.length)}</p>}
        </section>
      )}
      <section class="card table-wrap">
        <h2>{t('conditions')}</h2>
        <table data-testid="conditions">
          <thead><tr><th>{t('condName')}</th><th>{t('expression')}</th><th>{t('market')}</th><th>{t('schedule')}</th><th>{t('channels')}</th><th>{t('lastSession')}</th><th /></tr></thead>
          <tbody>{list?.map((c) => (
            <tr key={c.id} class={`clickable${c.id === sel ? ' sel' : ''}`} onClick={() => setSel(c.id)} data-id={c.id}>
              <td>{c.name}</td><td class="mono">{c.expression}</td><td>{c.market ?? t('all')}</td>
              <td>{c.schedule}{c.schedule === 'interval' && ` ${c.intervalSeconds}s`}</td><td>{c.channels.join(', ')}</td><td>{c.lastSession ?? '—'}</td>
              <td><button type="button" onClick={(e) => { e.stopPropagation(); remove(c.id); }}>{t('delete')}</button></td>
            </tr>
          ))}</tbody>
        </table>
        {list?.length === 0 && <p class="muted">{t('noConditions')}</p>}
      </section>
      {sel != null && <History id={sel} />}
      <AlertChannelsPanel />
      <Alerts />
    </div>
  );
}

/** Polls a URL every 5 s while mounted. */
function usePoll<T>(url: string): T | null {
  const [data, setData] = useState<T | null>(null);
  useEffect(() => {
    let on = true;
    const load = () => getJson<T>(url).then((d) => on && setData(d)).catch(() => undefined);
    load();
    const id = setInterval(load, 5000);
    return () => { on = false; clearInterval(id); };
  }, [url]);
  return data;
}

function History({ id }: { id: number }) {
  const r = usePoll<{ matching: string[]; events: Ev[] }>(`/api/conditions/${id}/results`);
  return (
    <section class="card table-wrap" data-testid="condition-history">
      <h2>{t('history')}</h2>
      {r && <p class="small">{t('matching')} ({r.matching.length}): {r.matching.slice(0, 50).join(', ')}{r.matching.length > 50 && ' …'}</p>}
      <table>
        <thead><tr><th>{t('date')}</th><th>{t('codes')}</th><th>{t('side')}</th><th>{t('values')}</th></tr></thead>
        <tbody>{r?.events.slice(0, SHOWN).map((e) => (
          <tr key={e.id}><td>{e.session} <span class="muted small">{kstDateTime(e.at)}</span></td><td><a href={`/stocks/${e.code}`}>{e.code}</a></td>
            <td class={e.event === 'entry' ? 'up' : 'down'}>{t(e.event === 'entry' ? 'entry' : 'exit')}</td><td class="small mono">{values(e.values)}</td></tr>
        ))}</tbody>
      </table>
    </section>
  );
}

function Alerts() {
  const alerts = usePoll<Alert[]>('/api/alerts?limit=50');
  return (
    <section class="card table-wrap">
      <h2>{t('alerts')}</h2>
      <table data-testid="alerts">
        <thead><tr><th>{t('started')}</th><th>{t('channels')}</th><th>{t('status')}</th><th>{t('note')}</th></tr></thead>
        <tbody>{alerts?.map((a) => (
          <tr key={a.id}><td>{kstDateTime(a.createdAt)}</td><td>{a.channel}</td><td>{a.status}{a.attempts > 1 && ` (${a.attempts})`}</td>
            <td class="small">{a.message}{a.lastError && <span class="error"> · {a.lastError}</span>}</td></tr>
        ))}</tbody>
      </table>
      {alerts?.length === 0 && <p class="muted">{t('noData')}</p>}
    </section>
  );
}
