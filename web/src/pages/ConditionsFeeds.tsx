import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import { kstDateTime } from '../format';
import { t } from '../i18n';

interface Ev { id: number; code: string; event: string; at: string; session: string; values: Record<string, unknown> }
interface Alert { id: number; conditionId: number; code: string; event: string; channel: string; message: string; status: string; attempts: number; lastError: string | null; createdAt: string }

export const SHOWN = 100;
export const val = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v ?? '—'));
const values = (v: Record<string, unknown>) => Object.entries(v).map(([k, x]) => `${k}=${val(x)}`).join(', ');

/** Polls a URL every 5 s while mounted; reload() fetches it now (after a change the user made). */
function usePoll<T>(url: string): [T | null, () => void] {
  const [data, setData] = useState<T | null>(null);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let on = true;
    const load = () => getJson<T>(url).then((d) => on && setData(d)).catch(() => undefined);
    load();
    const id = setInterval(load, 5000);
    return () => { on = false; clearInterval(id); };
  }, [url, nonce]);
  return [data, () => setNonce((n) => n + 1)];
}

/** A selected condition's current matches and its entry/exit history. */
export function History({ id }: { id: number }) {
  const [r] = usePoll<{ matching: string[]; events: Ev[] }>(`/api/conditions/${id}/results`);
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

/** The alert outbox, newest first; a dead-lettered alert gets a retry button (POST /api/alerts/{id}/retry). */
export function Alerts() {
  const [alerts, reload] = usePoll<Alert[]>('/api/alerts?limit=50');
  const [error, setError] = useState<string | null>(null);
  const retry = (id: number) => {
    setError(null);
    getJson(`/api/alerts/${id}/retry`, { method: 'POST' }).then(reload).catch((e: Error) => setError(e.message));
  };
  return (
    <section class="card table-wrap">
      <h2>{t('alerts')}</h2>
      {error && <p class="error">{error}</p>}
      <table data-testid="alerts">
        <thead><tr><th>{t('started')}</th><th>{t('channels')}</th><th>{t('status')}</th><th>{t('note')}</th><th /></tr></thead>
        <tbody>{alerts?.map((a) => (
          <tr key={a.id} data-id={a.id} data-status={a.status}>
            <td>{kstDateTime(a.createdAt)}</td><td>{a.channel}</td><td>{a.status}{a.attempts > 1 && ` (${a.attempts})`}</td>
            <td class="small">{a.message}{a.lastError && <span class="error"> · {a.lastError}</span>}</td>
            <td>{a.status === 'dead' && <button type="button" onClick={() => retry(a.id)} data-testid="retry-alert">{t('retry')}</button>}</td>
          </tr>
        ))}</tbody>
      </table>
      {alerts?.length === 0 && <p class="muted">{t('noData')}</p>}
    </section>
  );
}
