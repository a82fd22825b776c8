import { CandlestickSeries, HistogramSeries, LineSeries, type IChartApi, type ISeriesApi, type Time } from 'lightweight-charts';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, type Bar, type Book, type InvestorFlow, type Stock, type Tick } from '../api';
import { DOWN, UP, newChart, sma } from '../chart';
import { MarketBadge, Tabs } from '../components';
import { addDays, bigWon, dirClass, kstDateTime, kstTime, kstToday, num, pct, won } from '../format';
import { t } from '../i18n';
import { live } from '../live';

type Basis = 'adjusted' | 'raw';
type Period = '1M' | '3M' | '6M' | '1Y' | '3Y' | '5Y' | '10Y' | 'ALL';
const PERIOD_DAYS: Record<Period, number> = { '1M': 31, '3M': 92, '6M': 183, '1Y': 366, '3Y': 1096, '5Y': 1827, '10Y': 3653, ALL: 0 };
const MAS: [number, string][] = [[5, '#f08c00'], [20, '#2f9e44'], [60, '#7048e8'], [120, '#868e96']];

export function StockPage({ code }: { code: string }) {
  const [stock, setStock] = useState<Stock | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState<Tick | null>(null);
  useEffect(() => {
    setStock(null); setError(null); setTick(null);
    getJson<Stock>(`/api/stocks/${code}`).then(setStock).catch((e: Error) => setError(e instanceof ApiError && e.status === 404 ? `${code}: ${t('noData')}` : e.message));
    return live.ticks(code, setTick);
  }, [code]);
  if (error) return <div class="page"><p class="error">{error}</p></div>;
  if (!stock) return <div class="page"><p class="muted">{t('loading')}</p></div>;
  return (
    <div class="page stock">
      <header class="stock-head">
        <h1>{stock.name} <span class="code muted">{stock.code}</span> <MarketBadge market={stock.market} /></h1>
        {tick && (
          <div class={`quote ${dirClass(tick.change)}`} data-testid="quote">
            <strong>{won(tick.price)}</strong> {tick.change > 0 ? '▲' : tick.change < 0 ? '▼' : ''}{num(Math.abs(tick.change))} ({pct(tick.changePct)})
            <small class="muted"> {t('asOf')} {tick.stale ? kstDateTime(tick.time) : kstTime(tick.time)} · {tick.source}{tick.stale ? ' (stale)' : ''}</small>
          </div>
        )}
      </header>
      <div class="stock-grid">
        <div class="stock-main">
          <PriceChart code={code} tick={tick} />
          <InvestorChart code={code} />
        </div>
        <aside class="stock-side">
          <KeyFacts stock={stock} />
          <OrderBook code={code} />
        </aside>
      </div>
    </div>
  );
}

function PriceChart({ code, tick }: { code: string; tick: Tick | null }) {
  const [basis, setBasis] = useState<Basis>('adjusted');
  const [period, setPeriod] = useState<Period>('1Y');
  const [bars, setBars] = useState<Bar[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const candleSeries = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const volSeries = useRef<ISeriesApi<'Histogram'> | null>(null);
  const maSeries = useRef<ISeriesApi<'Line'>[]>([]);

  useEffect(() => {
    const c = newChart(el.current!);
    chart.current = c;
    candleSeries.current = c.addSeries(CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
    });
    maSeries.current = MAS.map(([, color]) => c.addSeries(LineSeries, { color, lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false }));
    volSeries.current = c.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceLineVisible: false }, 1);
    c.panes()[1]?.setHeight(80);
    return () => { c.remove(); chart.current = null; };
  }, []);

  useEffect(() => {
    setBars(null); setError(null);
    getJson<Bar[]>(`/api/stocks/${code}/bars?basis=${basis}`).then(setBars).catch((e: Error) => setError(e.message));
  }, [code, basis]);

  useEffect(() => {
    if (!bars || !candleSeries.current) return;
    const t0 = performance.now();
    const traded = bars.filter((b) => !b.noTrade);
    candleSeries.current.setData(traded.map((b) => ({ time: b.date as Time, open: b.open, high: b.high, low: b.low, close: b.close })));
    volSeries.current!.setData(traded.map((b) => ({ time: b.date as Time, value: b.volume, color: b.close >= b.open ? `${UP}80` : `${DOWN}80` })));
    const closes = traded.map((b) => b.close);
    MAS.forEach(([w], i) => {
      const m = sma(closes, w);
      maSeries.current[i].setData(traded.flatMap((b, j) => (m[j] == null ? [] : [{ time: b.date as Time, value: m[j]! }])));
    });
    applyPeriod(chart.current!, traded, period);
    el.current!.dataset.candles = String(traded.length);
    el.current!.dataset.lastClose = String(traded.at(-1)?.close ?? '');
    el.current!.dataset.basis = basis;
    // Time to the first paint of the new data (lightweight-charts paints on the next animation frame): read by the bench.
    delete el.current!.dataset.renderMs;
    requestAnimationFrame(() => requestAnimationFrame(() => { if (el.current) el.current.dataset.renderMs = (performance.now() - t0).toFixed(1); }));
  }, [bars]);

  useEffect(() => {
    if (bars && chart.current) applyPeriod(chart.current, bars.filter((b) => !b.noTrade), period);
  }, [period]);

  // The live last candle: the day's open/high/low/last from the ticks, on the raw basis (live prices are raw prices).
  useEffect(() => {
    if (!tick || tick.stale || basis !== 'raw' || !bars || !candleSeries.current) return;
    const day = kstToday();
    const last = bars.at(-1);
    if (last && last.date > day) return;
    candleSeries.current.update({ time: day as Time, open: tick.open, high: tick.high, low: tick.low, close: tick.price });
    volSeries.current!.update({ time: day as Time, value: tick.accVolume, color: tick.price >= tick.open ? `${UP}80` : `${DOWN}80` });
  }, [tick, basis, bars]);

  const first = bars?.[0];
  const last = bars?.at(-1);
  return (
    <section class="card">
      <div class="toolbar">
        <Tabs<Period> value={period} onChange={setPeriod} testid="period-tabs"
          options={(Object.keys(PERIOD_DAYS) as Period[]).map((p) => [p, p === 'ALL' ? t('all') : p])} />
        <Tabs<Basis> value={basis} onChange={setBasis} testid="basis-tabs" options={[['adjusted', t('adjusted')], ['raw', t('raw')]]} />
      </div>
      <div class="legend">
        {MAS.map(([w, color]) => <span key={w} style={{ color }}>MA{w} </span>)}
        {basis === 'raw' && tick && !tick.stale && <span class="muted"> · {t('liveCandle')} ({tick.source})</span>}
      </div>
      <div ref={el} class="chart" data-testid="price-chart" />
      <p class="muted small" data-testid="series-source">
        {error ?? (bars && (bars.length === 0
          ? `${t(basis)}: ${t('noData')}`
          : `${t(basis)} · ${bars.length.toLocaleString()} ${t('bars')} ${first!.date} – ${last!.date} · ${t('source')}: ${[...new Set(bars.map((b) => b.source))].join(', ')}`))}
      </p>
    </section>
  );
}

function applyPeriod(chart: IChartApi, bars: Bar[], period: Period): void {
  if (bars.length === 0) return;
  const lastDate = bars.at(-1)!.date;
  if (period === 'ALL') { chart.timeScale().fitContent(); return; }
  const from = addDays(lastDate, -PERIOD_DAYS[period]);
  const start = bars.find((b) => b.date >= from)?.date ?? bars[0].date;
  chart.timeScale().setVisibleRange({ from: start as Time, to: lastDate as Time });
}

const INVESTORS = [['individual', '#e8590c'], ['foreign', '#1c7ed6'], ['institution-total', '#2b8a3e']] as const;

function InvestorChart({ code }: { code: string }) {
  const [flows, setFlows] = useState<InvestorFlow[] | null>(null);
  const [cumulative, setCumulative] = useState(false);
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setFlows(null);
    getJson<InvestorFlow[]>(`/api/stocks/${code}/investors`).then(setFlows).catch(() => setFlows([]));
  }, [code]);
  const has = flows && flows.some((f) => f.netValue != null);
  useEffect(() => {
    const box = el.current;
    if (!has || !box) return;
    const c = newChart(box, { localization: { locale: 'ko-KR', priceFormatter: (p: number) => bigWon(p) } });
    for (const [inv, color] of INVESTORS) {
      const s = c.addSeries(LineSeries, { color, lineWidth: 2, title: t(inv) });
      let acc = 0;
      const points = flows!.filter((f) => f.investor === inv && f.netValue != null)
        .sort((a, b) => a.date.localeCompare(b.date))
        .map((f) => ({ time: f.date as Time, value: cumulative ? (acc += f.netValue!) : f.netValue! }));
      s.setData(points);
      // What each line ends on, for tests and screen readers: the last session's net value, or the running sum.
      box.setAttribute(`data-last-${inv}`, String(points.at(-1)?.value ?? ''));
    }
    box.dataset.series = String(INVESTORS.length);
    box.dataset.mode = cumulative ? 'cumulative' : 'daily';
    c.timeScale().fitContent();
    return () => c.remove();
  }, [flows, cumulative]);
  return (
    <section class="card">
      <div class="toolbar">
        <h2>{t('investors')}</h2>
        <Tabs<'d' | 'c'> value={cumulative ? 'c' : 'd'} onChange={(v) => setCumulative(v === 'c')} testid="flow-tabs" options={[['d', t('daily')], ['c', t('cumulative')]]} />
      </div>
      {flows == null ? <p class="muted">{t('loading')}</p> : has ? <div ref={el} class="chart small-chart" data-testid="investor-chart" /> : <NoFlows code={code} />}
    </section>
  );
}

/** Where a stock's investor flows come from, when none are stored (docs/collection.md, docs/api-data.md). */
function NoFlows({ code }: { code: string }) {
  return (
    <div class="muted small" data-testid="investor-empty">
      <p>{t('noFlows')}</p>
      <ul class="commands">
        <li><code>krxhub collect investors --codes {code}</code> (Kiwoom ka10059)</li>
        <li><code>krxhub backfill investors --from 2024-01-02 --codes {code}</code></li>
        <li><code>krxhub import MDCSTAT02302-{code}-netbuy-value.json --code {code} --measure value</code> (KRX)</li>
      </ul>
    </div>
  );
}

function KeyFacts({ stock }: { stock: Stock }) {
  const [bar, setBar] = useState<Bar | null>(null);
  useEffect(() => {
    getJson<Bar[]>(`/api/stocks/${stock.code}/bars?basis=raw`).then((b) => setBar(b.at(-1) ?? null)).catch(() => undefined);
  }, [stock.code]);
  const cap = bar?.marketCap ?? (bar && stock.listedShares ? bar.close * stock.listedShares : null);
  return (
    <section class="card facts" data-testid="key-facts">
      <h2>{t('keyFacts')}</h2>
      <dl>
        <dt>{t('market')}</dt><dd><MarketBadge market={stock.market} /> {stock.segment ?? ''}</dd>
        <dt>{t('industry')}</dt><dd>{stock.industry ?? '—'}</dd>
        <dt>{t('listedShares')}</dt><dd>{num(stock.listedShares)}</dd>
        <dt>{t('marketCap')}</dt><dd>{bigWon(cap)}{bar && <small class="muted"> ({t('asOf')} {bar.date})</small>}</dd>
        <dt>{t('listingDate')}</dt><dd>{stock.listingDate ?? '—'}</dd>
        {stock.delistingDate && <><dt>{t('delisted')}</dt><dd>{stock.delistingDate}</dd></>}
      </dl>
    </section>
  );
}

function OrderBook({ code }: { code: string }) {
  const [book, setBook] = useState<Book | null>(null);
  useEffect(() => { setBook(null); return live.book(code, setBook); }, [code]);
  if (!book) return <section class="card"><h2>{t('orderBook')}</h2><p class="muted">{t('noBook')}</p></section>;
  const max = Math.max(1, ...book.asks.map((l) => l.qty), ...book.bids.map((l) => l.qty));
  const asks = [...book.asks].slice(0, 10).reverse();
  return (
    <section class="card book" data-testid="order-book">
      <h2>{t('orderBook')}</h2>
      <table>
        <tbody>
          {asks.map((l) => (
            <tr key={`a${l.price}`} class="ask">
              <td class="qty"><span class="bar" style={{ width: `${(l.qty / max) * 100}%` }} />{num(l.qty)}</td>
              <td class="num down-bg">{num(l.price)}</td><td />
            </tr>
          ))}
          {book.bids.slice(0, 10).map((l) => (
            <tr key={`b${l.price}`} class="bid">
              <td /><td class="num up-bg">{num(l.price)}</td>
              <td class="qty"><span class="bar" style={{ width: `${(l.qty / max) * 100}%` }} />{num(l.qty)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot><tr><td class="num">{num(book.totalAskQty)}</td><td class="muted">{t('total')}</td><td class="num">{num(book.totalBidQty)}</td></tr></tfoot>
      </table>
      <p class="muted small">{t('asOf')} {kstTime(book.time)} · {book.source}</p>
    </section>
  );
}
