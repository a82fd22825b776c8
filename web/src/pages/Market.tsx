import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type RankingRow, type Rankings } from '../api';
import { MarketBadge, SessionBadge, Tabs } from '../components';
import { addDays, bigWon, dirClass, kstDateTime, kstTime, num, pct, won } from '../format';
import { t } from '../i18n';
import { live } from '../live';

type MarketTab = 'ALL' | 'KOSPI' | 'KOSDAQ' | 'KONEX';
type Metric = 'volume' | 'value' | 'change';
const N = 20;
const FLASH_MS = 700;

/** Home: the live top-20 ranking, falling back to the latest stored session when nothing traded live today. */
export function MarketPage() {
  const [market, setMarket] = useState<MarketTab>(() => (sessionStorage.getItem('krxhub.market') as MarketTab | null) ?? 'ALL');
  const [metric, setMetric] = useState<Metric>(() => (sessionStorage.getItem('krxhub.metric') as Metric | null) ?? 'volume');
  const [data, setData] = useState<Rankings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<Record<string, 'up' | 'down'>>({});
  const prices = useRef(new Map<string, number>());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  useEffect(() => {
    sessionStorage.setItem('krxhub.market', market);
    sessionStorage.setItem('krxhub.metric', metric);
    let gotLive = false;
    setData(null);
    setError(null);
    prices.current.clear();
    getJson<Rankings>(`/api/rankings?market=${market}&metric=${metric}&n=${N}`)
      .then((r) => { if (!gotLive) setData(r); })
      .catch((e: Error) => setError(e.message));
    const stop = live.rankings(market, metric, N, (msg: Rankings) => {
      if (msg.rows.length === 0) return; // nothing traded live yet today: keep the stored ranking
      gotLive = true;
      const moved: Record<string, 'up' | 'down'> = {};
      for (const row of msg.rows) {
        const before = prices.current.get(row.code);
        if (before !== undefined && before !== row.price) moved[row.code] = row.price > before ? 'up' : 'down';
        prices.current.set(row.code, row.price);
      }
      if (Object.keys(moved).length > 0) {
        setFlash((f) => ({ ...f, ...moved }));
        for (const code of Object.keys(moved)) {
          clearTimeout(timers.current.get(code));
          timers.current.set(code, setTimeout(() => setFlash((f) => {
            const { [code]: _, ...rest } = f;
            return rest;
          }), FLASH_MS));
        }
      }
      setData({ ...msg, live: true, stale: false });
    });
    return () => {
      stop();
      timers.current.forEach(clearTimeout);
      timers.current.clear();
      setFlash({});
    };
  }, [market, metric]);

  return (
    <div class="page market">
      <section class="indices" aria-label="KOSPI / KOSDAQ / KOSPI 200">
        <Indices />
        <SessionBadge />
      </section>
      <div class="toolbar">
        <Tabs<MarketTab> value={market} onChange={setMarket} testid="market-tabs"
          options={[['ALL', t('all')], ['KOSPI', 'KOSPI'], ['KOSDAQ', 'KOSDAQ'], ['KONEX', 'KONEX']]} />
        <Tabs<Metric> value={metric} onChange={setMetric} testid="metric-tabs"
          options={[['volume', t('volume')], ['value', t('value')], ['change', t('change')]]} />
      </div>
      <Freshness data={data} />
      {error && <p class="error">{error}</p>}
      <div class="table-wrap">
        <table class="ranking" data-testid="ranking">
          <thead>
            <tr>
              <th class="num">{t('rank')}</th><th>{t('name')}</th><th class="num">{t('price')}</th>
              <th class="num">{t('change')}</th><th class="num">{t('volume')}</th><th class="num hide-sm">{t('value')}</th>
            </tr>
          </thead>
          <tbody>
            {data?.rows.map((r) => <Row key={r.code} row={r} flash={flash[r.code]} asOf={data.asOf} />)}
          </tbody>
        </table>
        {data && data.rows.length === 0 && <p class="muted">{t('noRows')}</p>}
        {!data && !error && <p class="muted">{t('loading')}</p>}
      </div>
    </div>
  );
}

function Freshness({ data }: { data: Rankings | null }) {
  if (!data) return null;
  if (data.stale) {
    return (
      <p class="stale" data-testid="stale-note">
        {t('staleRanking')}: <strong>{data.date}</strong> ({t('asOf')} {kstDateTime(data.asOf)}, {t('source')}: {data.source ?? '—'})
      </p>
    );
  }
  return (
    <p class="fresh" data-testid="live-note">
      <span class="dot" /> {t('liveRanking')} · {t('asOf')} {kstTime(data.asOf)} · {t('source')}: {data.source ?? '—'}
    </p>
  );
}

function Row({ row, flash, asOf }: { row: RankingRow; flash: 'up' | 'down' | undefined; asOf: string | null }) {
  const title = `${t('asOf')} ${kstDateTime(asOf)}`;
  return (
    <tr class={flash ? `flash-${flash}` : ''} data-code={row.code} data-market={row.market}>
      <td class="num">{row.rank}</td>
      <td class="name">
        <a href={`/stocks/${row.code}`}>{row.name}</a> <span class="code muted">{row.code}</span> <MarketBadge market={row.market} />
      </td>
      <td class={`num ${dirClass(row.changePct)}`} title={title}>{won(row.price)}</td>
      <td class={`num ${dirClass(row.changePct)}`} title={title}>{pct(row.changePct)}</td>
      <td class="num" title={title}>{num(row.volume)}</td>
      <td class="num hide-sm" title={title}>{bigWon(row.value)}</td>
    </tr>
  );
}

interface Level { code: string; level: number; change: number | null; changePct: number | null; time: string; source: string; simulated: boolean }
interface StoredIndex { code: string; last: string; lastClose: number; live: Level | null; prev?: number }
const INDICES = [['1001', 'KOSPI'], ['2001', 'KOSDAQ'], ['1028', 'KOSPI 200']];
const lvl = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * KOSPI, KOSDAQ and KOSPI 200: the live level from the /ws indices channel (labelled SIMULATED when the simulator computes
 * it), else the last stored close with its change against the close before it.
 */
function Indices() {
  const [stored, setStored] = useState<Record<string, StoredIndex>>({});
  const [levels, setLevels] = useState<Record<string, Level>>({});
  useEffect(() => {
    getJson<StoredIndex[]>('/api/indices').then(async (list) => {
      const mine = list.filter((i) => INDICES.some(([c]) => c === i.code));
      await Promise.all(mine.map((i) => getJson<{ close: number }[]>(`/api/indices/${i.code}/bars?from=${addDays(i.last, -14)}&to=${i.last}`)
        .then((b) => { i.prev = b.at(-2)?.close; }).catch(() => undefined)));
      setStored(Object.fromEntries(mine.map((i) => [i.code, i])));
      setLevels((l) => ({ ...Object.fromEntries(mine.filter((i) => i.live).map((i) => [i.code, { ...i.live!, code: i.code }])), ...l }));
    }).catch(() => undefined);
    return live.indices((msg: { levels: Level[] }) => setLevels((l) => ({ ...l, ...Object.fromEntries(msg.levels.map((x) => [x.code, x])) })));
  }, []);
  return (
    <>
      {INDICES.map(([code, label]) => {
        const s = stored[code], l = levels[code];
        const change = l ? l.change : s?.prev ? s.lastClose - s.prev : null;
        const changePct = l ? l.changePct : s?.prev ? (s.lastClose / s.prev - 1) * 100 : null;
        const level = l?.level ?? s?.lastClose;
        return (
          <div class="index" key={code} data-testid={`index-${code}`} data-close={s?.lastClose} data-live={l?.source}
            title={l ? `${l.source} · ${kstDateTime(l.time)}` : s && `${t('source')}: ${s.last}`}>
            <b>{label}</b> <span class={`lvl ${dirClass(change)}`}>{level == null ? '—' : lvl(level)}</span>{' '}
            <small class={dirClass(change)}>{change == null ? '' : `${change > 0 ? '+' : ''}${lvl(change)} `}{pct(changePct)}</small>{' '}
            {l ? l.simulated && <span class="sim" title={t('simulated')}>SIMULATED</span> : s && <small class="muted">{s.last} {t('closeOf')}</small>}
          </div>
        );
      })}
    </>
  );
}
