import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type RankingRow, type Rankings } from '../api';
import { MarketBadge, SessionBadge, Tabs } from '../components';
import { bigWon, dirClass, kstDateTime, kstTime, num, pct, won } from '../format';
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
      <section class="indices" aria-label="KOSPI / KOSDAQ">
        {['KOSPI', 'KOSDAQ'].map((m) => (
          <div class="index" key={m} data-testid={`index-${m}`}>
            <MarketBadge market={m} /> <span class="muted">{t('indexPending')}</span>
          </div>
        ))}
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
