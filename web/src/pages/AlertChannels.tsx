import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import { kstDateTime } from '../format';
import { t } from '../i18n';

type Value = string | number | boolean | null;
interface Channel { channel: string; configured: boolean; source: string | null; environmentConfigured: boolean; settings: Record<string, Value>; updatedAt: string | null; error: string | null }
interface TestResult { ok: boolean; error: string | null; elapsedMs: number }
interface Field { name: string; secret?: boolean; kind?: 'number' | 'checkbox' }

/** Each channel's fields as PUT /api/alerts/channels/{channel} takes them (docs/conditions.md). */
const FIELDS: Record<string, Field[]> = {
  webhook: [{ name: 'url' }, { name: 'secret', secret: true }],
  slack: [{ name: 'webhookUrl', secret: true }],
  telegram: [{ name: 'botToken', secret: true }, { name: 'chatId' }, { name: 'apiBase' }],
  email: [{ name: 'host' }, { name: 'port', kind: 'number' }, { name: 'startTls', kind: 'checkbox' }, { name: 'user' }, { name: 'password', secret: true },
    { name: 'from' }, { name: 'to' }],
};

const summary = (c: Channel) => Object.entries(c.settings).filter(([, v]) => v != null).map(([k, v]) => `${k}=${v}`).join(' · ');

/** The alert channels: status and source of each, an edit form (secrets never shown; empty keeps the stored one), and a test send. */
export function AlertChannelsPanel() {
  const [list, setList] = useState<Channel[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult | 'running'>>({});
  const [err, setErr] = useState<string | null>(null);
  const load = () => getJson<Channel[]>('/api/alerts/channels').then(setList).catch((e: Error) => setErr(e.message));
  useEffect(() => { load(); }, []);
  const act = async (f: () => Promise<unknown>) => {
    setErr(null);
    try { await f(); } catch (e) { setErr((e as Error).message); }
  };
  const test = (channel: string) => act(async () => {
    setTests((r) => ({ ...r, [channel]: 'running' }));
    try {
      const result = await getJson<TestResult>(`/api/alerts/channels/${channel}/test`, { method: 'POST' });
      setTests((r) => ({ ...r, [channel]: result }));
    } catch (e) {
      setTests((r) => ({ ...r, [channel]: { ok: false, error: (e as Error).message, elapsedMs: 0 } }));
    }
  });
  const drop = (channel: string) => act(async () => {
    await getJson(`/api/alerts/channels/${channel}`, { method: 'DELETE' });
    setEditing(null);
    await load();
  });
  const current = list?.find((c) => c.channel === editing);

  return (
    <section class="card table-wrap" data-testid="alert-channels">
      <h2>{t('channels')}</h2>
      {err && <p class="error" data-testid="channel-error">{err}</p>}
      <table>
        <thead><tr><th>{t('channels')}</th><th>{t('status')}</th><th>{t('source')}</th><th>{t('params')}</th><th /></tr></thead>
        <tbody>{list?.map((c) => {
          const result = tests[c.channel];
          return (
            <tr key={c.channel} data-channel={c.channel} data-configured={String(c.configured)} data-source={c.source ?? ''}>
              <td class="mono">{c.channel}</td>
              <td class={c.configured ? 'status-succeeded' : 'muted'}>{t(c.configured ? 'configured' : 'notConfigured')}
                {c.error && <span class="error small"> · {c.error}</span>}</td>
              <td>{c.source ?? '—'}{c.updatedAt && <span class="muted small"> {kstDateTime(c.updatedAt)}</span>}</td>
              <td class="small mono">{summary(c)}</td>
              <td class="actions">
                {FIELDS[c.channel] && <button type="button" onClick={() => setEditing(c.channel)} data-testid={`edit-${c.channel}`}>{t('edit')}</button>}
                {' '}<button type="button" disabled={!c.configured || result === 'running'} onClick={() => test(c.channel)} data-testid={`test-${c.channel}`}>{t('testSend')}</button>
                {result && result !== 'running' && (
                  <span class={`small ${result.ok ? 'status-succeeded' : 'error'}`} data-testid={`test-result-${c.channel}`} data-ok={String(result.ok)}>
                    {' '}{result.ok ? `${t('sent')} (${Math.round(result.elapsedMs)} ms)` : result.error}
                  </span>
                )}
              </td>
            </tr>
          );
        })}</tbody>
      </table>
      {current && <ChannelForm key={current.channel} channel={current} onSaved={() => act(async () => { setEditing(null); await load(); })}
        onDrop={() => drop(current.channel)} onCancel={() => setEditing(null)} />}
    </section>
  );
}

function ChannelForm({ channel, onSaved, onDrop, onCancel }: { channel: Channel; onSaved: () => void; onDrop: () => void; onCancel: () => void }) {
  const [err, setErr] = useState<string | null>(null);
  const fromApi = channel.source === 'api';
  const save = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const body: Record<string, Value> = {};
    for (const f of FIELDS[channel.channel]) {
      const text = String(form.get(f.name) ?? '').trim();
      if (f.kind === 'checkbox') body[f.name] = form.get(f.name) === 'on';
      else if (f.secret) { if (text) body[f.name] = text; } // empty: the stored secret stays
      else body[f.name] = text === '' ? null : f.kind === 'number' ? Number(text) : text;
    }
    setErr(null);
    try {
      await getJson(`/api/alerts/channels/${channel.channel}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      onSaved();
    } catch (x) { setErr((x as Error).message); }
  };

  return (
    <form class="bt-form channel-form" onSubmit={save} data-testid={`channel-form-${channel.channel}`}>
      <h3 class="span2">{channel.channel}</h3>
      {FIELDS[channel.channel].map((f) => {
        const v = channel.settings[f.name];
        if (f.kind === 'checkbox') return <label key={f.name} class="check"><input type="checkbox" name={f.name} defaultChecked={v !== false} /> {f.name}</label>;
        return (
          <label key={f.name}>{f.name}
            {f.secret
              ? <input name={f.name} type="password" autocomplete="new-password" placeholder={fromApi && v != null ? t('unchanged') : ''} />
              : f.kind === 'number'
                ? <input name={f.name} type="number" min={1} max={65535} defaultValue={v == null ? '' : String(v)} />
                : <input name={f.name} type="text" defaultValue={v == null ? '' : String(v)} class="mono" />}
          </label>
        );
      })}
      {err && <p class="error span2" data-testid="channel-form-error">{err}</p>}
      <button type="submit" class="primary" data-testid="save-channel">{t('save')}</button>
      {fromApi && <button type="button" onClick={onDrop} data-testid="drop-channel">{t('dropApi')}</button>}
      <button type="button" onClick={onCancel}>{t('cancel')}</button>
    </form>
  );
}
