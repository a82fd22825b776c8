import { useEffect, useState } from 'preact/hooks';
import { type ApiError, getJson } from '../api';
import { MarketBadge } from '../components';
import { AlertChannelsPanel } from './AlertChannels';
import { num } from '../format';
import { t } from '../i18n';
import { Alerts, History, SHOWN, val } from './ConditionsFeeds';

interface Cond { id: number; name: string; expression: string; market: string | null; active: boolean; schedule: string; intervalSeconds: number; channels: string[]; lastSession: string | null;
  /** "kiwoom": one of the HTS conditions of the Kiwoom login (id 0 until first switched on in real time). */
  origin?: 'user' | 'kiwoom'; kiwoomSeq?: string | null }
interface Match { code: string; name: string; market: string; close: number; values: Record<string, unknown> }
interface Screen { date: string; basis: string; live: string | null; universe: number; matched: number; notEnoughHistory: number; withoutBar: number; stocks: Match[] }
interface Err { msg: string; col?: number; expr: string }
/** The form's fields besides the expression (which the error's caret needs as typed). */
interface Draft { name: string; market: string; active: boolean; schedule: string; interval: string; channels: string }

const BLANK: Draft = { name: '', market: '', active: true, schedule: 'interval', interval: '30', channels: 'log' };
const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const draftOf = (c: Cond): Draft => ({
  name: c.name, market: c.market ?? '', active: c.active, schedule: c.schedule, interval: String(c.intervalSeconds), channels: c.channels.join(', '),
});
/** The PUT/POST body of a condition (PUT replaces every field). */
const bodyOf = (d: Draft, expression: string) => ({
  name: d.name.trim(), expression, market: d.market || null, active: d.active, schedule: d.schedule,
  intervalSeconds: Number(d.interval), channels: d.channels.split(/[\s,]+/).filter(Boolean),
});

/** Saved conditions (create, edit, switch on/off, delete, entry/exit history), an ad-hoc screen of the expression, and the alert outbox. */
export function ConditionsPage() {
  const [list, setList] = useState<Cond[] | null>(null);
  const [expr, setExpr] = useState('close > sma(close, 20) and volume > 2 * avg(volume, 20)');
  const [draft, setDraft] = useState<Draft>(BLANK);
  const [editing, setEditing] = useState<number | null>(null);
  const [err, setErr] = useState<Err | null>(null);
  const [screen, setScreen] = useState<Screen | null>(null);
  const [sel, setSel] = useState<number | null>(null);
  const load = () => getJson<Cond[]>('/api/conditions').then(setList).catch((e: Error) => setErr({ msg: e.message, expr: '' }));
  useEffect(() => { load(); }, []);
  const set = <K extends keyof Draft>(k: K) => (e: Event) => {
    const target = e.target as HTMLInputElement;
    setDraft((d) => ({ ...d, [k]: target.type === 'checkbox' ? target.checked : target.value }));
  };
  const attempt = async (f: () => Promise<unknown>, typed = expr) => {
    setErr(null);
    try { await f(); } catch (e) { setErr({ msg: (e as Error).message, col: (e as ApiError).body?.column, expr: typed }); }
  };

  const save = (e: Event) => {
    e.preventDefault();
    attempt(async () => {
      const c = editing == null
        ? await getJson<Cond>('/api/conditions', json('POST', bodyOf(draft, expr)))
        : await getJson<Cond>(`/api/conditions/${editing}`, json('PUT', bodyOf(draft, expr)));
      setEditing(null);
      await load();
      setSel(c.id);
    });
  };
  const edit = (c: Cond) => {
    setEditing(c.id); setDraft(draftOf(c)); setExpr(c.expression); setErr(null); setSel(c.id);
  };
  const stopEditing = () => { setEditing(null); setDraft(BLANK); setErr(null); };
  const toggle = (c: Cond) => attempt(async () => {
    if (c.origin === 'kiwoom') {
      // Kiwoom's own conditions are switched by registering them for real-time pushes (CNSRREQ) or clearing them (CNSRCLR).
      await getJson(`/api/conditions/kiwoom/${c.kiwoomSeq}/realtime`, { method: c.active ? 'DELETE' : 'POST' });
    } else {
      await getJson(`/api/conditions/${c.id}`, json('PUT', bodyOf({ ...draftOf(c), active: !c.active }, c.expression)));
    }
    await load();
  }, c.expression);
  const preview = () => attempt(async () => { setScreen(null); setScreen(await getJson<Screen>('/api/screen', json('POST', { expression: expr, market: draft.market || null }))); });
  const remove = (id: number) => attempt(async () => {
    await getJson(`/api/conditions/${id}`, { method: 'DELETE' });
    if (sel === id) setSel(null);
    if (editing === id) stopEditing();
    await load();
  });
  const keys = screen?.stocks[0] ? Object.keys(screen.stocks[0].values) : [];

  return (
    <div class="page conditions">
      <form class="card bt-form" onSubmit={save} data-testid="condition-form" data-editing={editing ?? undefined}>
        {editing != null && <p class="span2" data-testid="editing"><b>{t('editing')}</b> #{editing} {draft.name}</p>}
        <label class="span2">{t('expression')}
          <input name="expression" class="mono" value={expr} onInput={(e) => setExpr((e.target as HTMLInputElement).value)} required />
        </label>
        {err && (
          <pre class="error span2 cond-err" data-testid="condition-error" data-column={err.col}>
            {err.msg}{err.col ? `\n${err.expr}\n${' '.repeat(err.col - 1)}^` : ''}
          </pre>
        )}
        <label>{t('condName')}<input name="name" value={draft.name} onInput={set('name')} required /></label>
        <label>{t('market')}
          <select name="market" value={draft.market} onChange={set('market')}>
            <option value="">{t('all')}</option><option>KOSPI</option><option>KOSDAQ</option><option>KONEX</option>
          </select>
        </label>
        <label>{t('schedule')}
          <select name="schedule" value={draft.schedule} onChange={set('schedule')}><option>interval</option><option>on-tick</option><option>eod</option></select>
        </label>
        <label>{t('interval')}<input name="interval" type="number" min={5} value={draft.interval} onInput={set('interval')} /></label>
        <label>{t('channels')}<input name="channels" value={draft.channels} onInput={set('channels')} /></label>
        <label class="check"><input type="checkbox" name="active" checked={draft.active} onChange={set('active')} /> {t('active')}</label>
        <button type="button" onClick={preview} data-testid="screen-now">{t('screenNow')}</button>
        <button type="submit" class="primary" data-testid="save-condition">{t('save')}</button>
        {editing != null && <button type="button" onClick={stopEditing} data-testid="cancel-edit">{t('cancel')}</button>}
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
          <thead><tr><th>{t('active')}</th><th>{t('condName')}</th><th>{t('expression')}</th><th>{t('market')}</th><th>{t('schedule')}</th><th>{t('channels')}</th><th>{t('lastSession')}</th><th /></tr></thead>
          <tbody>{list?.map((c) => (
            <tr key={c.origin === 'kiwoom' ? `k${c.kiwoomSeq}` : c.id} data-origin={c.origin ?? 'user'} class={`clickable${c.id === sel ? ' sel' : ''}${c.active ? '' : ' muted'}`} onClick={() => { if (c.id > 0) setSel(c.id); }} data-id={c.id} data-active={String(c.active)}>
              <td><input type="checkbox" checked={c.active} aria-label={t('active')} data-testid="active-toggle"
                onClick={(e) => e.stopPropagation()} onChange={() => toggle(c)} /></td>
              <td>{c.name}{c.origin === 'kiwoom' && <span class="tag">{t('kiwoomCondition')}</span>}</td><td class="mono">{c.expression}</td><td>{c.market ?? t('all')}</td>
              <td>{c.schedule}{c.schedule === 'interval' && ` ${c.intervalSeconds}s`}</td><td>{c.channels.join(', ')}</td><td>{c.lastSession ?? '—'}</td>
              <td class="actions">{c.origin !== 'kiwoom' && <>
                <button type="button" onClick={(e) => { e.stopPropagation(); edit(c); }} data-testid="edit-condition">{t('edit')}</button>
                <button type="button" onClick={(e) => { e.stopPropagation(); remove(c.id); }} data-testid="delete-condition">{t('delete')}</button>
              </>}</td>
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
