import { AreaSeries, LineSeries, type Time } from 'lightweight-charts';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from '../api';
import { newChart } from '../chart';
import { kstDateTime, num, ratio, won } from '../format';
import { t } from '../i18n';

interface StrategyInfo { name: string; singleStock: boolean; defaults: Record<string, string>; rules: string }
interface Summary { id: string; status: string; progress: number; createdAt: string; finishedAt: string | null; error: string | null; strategy: string; params: Record<string, string>; codes: string[]; market: string | null; from: string; to: string; basis: string }
interface Trade { date: string; code: string; side: string; price: number; quantity: number; commission: number; tax: number; note: string | null }
interface EquityPoint { date: string; equity: number; cash: number }
/** A distribution's stock as ?runs=returns lists it (runReturns), instead of its full metrics under result.runs. */
interface StockReturn { code: string; name: string; market: string; totalReturn: number }
interface Bench {
  index: string; name: string; baseDate: string; baseLevel: number; finalLevel: number; totalReturn: number; cagr: number | null; maxDrawdown: number;
  beta: number | null; alphaDaily: number | null; alphaAnnualised: number | null; trackingError: number | null; informationRatio: number | null; sessionsWithoutLevel: number;
}
interface Doc { metrics: Record<string, unknown>; trades: Trade[]; equity: EquityPoint[]; benchmark?: Bench }
interface Status { id: string; status: string; progress: number; error: string | null; result: Doc | null; tradeCount: number | null; runReturns?: StockReturn[]; createdAt: string; finishedAt: string | null }

const PAGE = 20;
/** How long one status request may wait for the run to finish: also how often the progress bar moves. */
const WAIT_MS = 250;

export function BacktestsPage() {
  const [strategies, setStrategies] = useState<StrategyInfo[]>([]);
  const [strategy, setStrategy] = useState('sma-cross');
  const [params, setParams] = useState<Record<string, string>>({});
  const [codes, setCodes] = useState('005930');
  const [all, setAll] = useState(false);
  const [market, setMarket] = useState('');
  const [from, setFrom] = useState('2024-01-02');
  const [to, setTo] = useState('2025-06-16');
  const [cash, setCash] = useState('100000000');
  const [fill, setFill] = useState('close');
  const [commission, setCommission] = useState('0.00015');
  const [sellTax, setSellTax] = useState('');
  const [slippage, setSlippage] = useState('0');
  const [basis, setBasis] = useState('adjusted');
  const [benchmark, setBenchmark] = useState('');
  const [run, setRun] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [past, setPast] = useState<Summary[]>([]);
  const poll = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The run being followed: an answer about an earlier one (still waiting when another was started) is dropped.
  const followed = useRef(0);

  const loadPast = () => getJson<Summary[]>('/api/backtests').then(setPast).catch(() => undefined);
  useEffect(() => {
    getJson<StrategyInfo[]>('/api/backtests/strategies').then((s) => { setStrategies(s); setParams({ ...s[0].defaults }); setStrategy(s[0].name); });
    loadPast();
    return () => { clearTimeout(poll.current); followed.current = -1; };
  }, []);
  const info = strategies.find((s) => s.name === strategy);

  const follow = (id: string) => {
    clearTimeout(poll.current);
    const mine = ++followed.current;
    // The trades are paged from /trades: a whole-market run has tens of thousands of them. runs=returns: the histogram and
    // best/worst need each stock's total return, not its full metrics (0.28 MB instead of 1.59 MB for the whole market).
    // waitMs: the hub answers the moment the run finishes (or after 250 ms with its progress), so the result shows
    // without a poll interval's delay.
    const step = () => getJson<Status>(`/api/backtests/${id}?trades=none&runs=returns&waitMs=${WAIT_MS}`).then((s) => {
      if (mine !== followed.current) return;
      setRun(s);
      if (s.status === 'queued' || s.status === 'running') poll.current = setTimeout(step, 0);
      else loadPast();
    }).catch((e: Error) => setError(e.message));
    step();
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null); setRun(null);
    const body = {
      strategy, params, codes: all ? ['ALL'] : codes.split(/[\s,]+/).filter(Boolean), from, to,
      cash: Number(cash), fill, commission: Number(commission), sellTax: sellTax ? Number(sellTax) : null,
      slippageTicks: Number(slippage), basis, market: market || null, benchmark: benchmark || null,
    };
    try {
      const started = await getJson<{ id: string }>('/api/backtests', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      follow(started.id);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <div class="page backtests">
      <form class="card bt-form" onSubmit={submit} data-testid="backtest-form">
        <label>{t('strategy')}
          <select value={strategy} onChange={(e) => { const n = (e.target as HTMLSelectElement).value; setStrategy(n); setParams({ ...strategies.find((s) => s.name === n)?.defaults }); }} name="strategy">
            {strategies.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
          </select>
        </label>
        {info && <p class="muted small span2">{info.rules}</p>}
        {Object.entries(params).map(([k, v]) => (
          <label key={k}>{k}<input name={`param-${k}`} value={v} onInput={(e) => setParams({ ...params, [k]: (e.target as HTMLInputElement).value })} /></label>
        ))}
        <label>{t('codes')}<input name="codes" value={codes} disabled={all} onInput={(e) => setCodes((e.target as HTMLInputElement).value)} /></label>
        <label class="check"><input type="checkbox" name="all" checked={all} onChange={(e) => setAll((e.target as HTMLInputElement).checked)} /> {t('universe')} (ALL)</label>
        <label>{t('market')}
          <select value={market} name="market" onChange={(e) => setMarket((e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option><option>KOSPI</option><option>KOSDAQ</option><option>KONEX</option>
          </select>
        </label>
        <label>{t('from')}<input type="date" name="from" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} /></label>
        <label>{t('to')}<input type="date" name="to" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} /></label>
        <label>{t('cash')}<input name="cash" inputMode="numeric" value={cash} onInput={(e) => setCash((e.target as HTMLInputElement).value)} /></label>
        <label>{t('fill')}
          <select value={fill} name="fill" onChange={(e) => setFill((e.target as HTMLSelectElement).value)}><option value="close">close</option><option value="next-open">next-open</option></select>
        </label>
        <label>{t('commission')}<input name="commission" value={commission} onInput={(e) => setCommission((e.target as HTMLInputElement).value)} /></label>
        <label>{t('sellTax')}<input name="sellTax" value={sellTax} onInput={(e) => setSellTax((e.target as HTMLInputElement).value)} /></label>
        <label>{t('slippage')}<input name="slippage" value={slippage} onInput={(e) => setSlippage((e.target as HTMLInputElement).value)} /></label>
        <label>{t('basis')}
          <select value={basis} name="basis" onChange={(e) => setBasis((e.target as HTMLSelectElement).value)}><option value="adjusted">{t('adjusted')}</option><option value="raw">{t('raw')}</option></select>
        </label>
        <label>{t('benchmark')}
          <select value={benchmark} name="benchmark" onChange={(e) => setBenchmark((e.target as HTMLSelectElement).value)}>
            <option value="">{t('none')}</option><option>KOSPI</option><option>KOSDAQ</option><option value="KOSPI200">KOSPI 200</option>
          </select>
        </label>
        <button type="submit" class="primary" data-testid="run-backtest">{t('run')}</button>
      </form>
      {error && <p class="error" data-testid="backtest-error">{error}</p>}
      {run && <RunView run={run} />}
      <section class="card">
        <h2>{t('pastRuns')}</h2>
        <div class="table-wrap">
          <table data-testid="past-runs">
            <thead><tr><th>{t('started')}</th><th>{t('strategy')}</th><th>{t('codes')}</th><th>{t('from')}–{t('to')}</th><th>{t('status')}</th></tr></thead>
            <tbody>
              {past.map((p) => (
                <tr key={p.id} class="clickable" onClick={() => follow(p.id)}>
                  <td>{kstDateTime(p.createdAt)}</td><td>{p.strategy} {Object.entries(p.params).map(([k, v]) => `${k}=${v}`).join(' ')}</td>
                  <td>{p.codes.join(',')}{p.market ? ` (${p.market})` : ''}</td><td>{p.from} – {p.to} · {p.basis}</td><td>{p.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function RunView({ run }: { run: Status }) {
  const doc = run.result;
  return (
    <section class="card" data-testid="backtest-run" data-status={run.status} data-id={run.id}>
      <div class="progress"><div style={{ width: `${Math.round(run.progress * 100)}%` }} /><span>{run.status} {Math.round(run.progress * 100)}%</span></div>
      {run.error && <p class="error">{run.error}</p>}
      {doc && (
        <>
          <EquityChart equity={doc.equity} />
          <div class="bt-metrics">
            <Metrics metrics={doc.metrics} />
            {doc.benchmark && <Benchmark b={doc.benchmark} metrics={doc.metrics} />}
          </div>
          {run.runReturns && <Distribution runs={run.runReturns} />}
          <Trades id={run.id} total={run.tradeCount ?? 0} />
        </>
      )}
    </section>
  );
}

function EquityChart({ equity }: { equity: EquityPoint[] }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const c = newChart(el.current!, { localization: { locale: 'ko-KR', priceFormatter: (p: number) => (Math.abs(p) < 2 ? `${(p * 100).toFixed(1)}%` : Math.round(p).toLocaleString('ko-KR')) } });
    c.addSeries(LineSeries, { color: '#d9262c', lineWidth: 2, title: t('equity') }).setData(equity.map((p) => ({ time: p.date as Time, value: p.equity })));
    let peak = -Infinity;
    const dd = c.addSeries(AreaSeries, { lineColor: '#1f5fd6', topColor: '#1f5fd620', bottomColor: '#1f5fd660', lineWidth: 1, title: t('drawdown') }, 1);
    dd.setData(equity.map((p) => { peak = Math.max(peak, p.equity); return { time: p.date as Time, value: p.equity / peak - 1 }; }));
    c.panes()[1]?.setHeight(90);
    c.timeScale().fitContent();
    el.current!.dataset.points = String(equity.length);
    return () => c.remove();
  }, [equity]);
  return <div ref={el} class="chart" data-testid="equity-chart" />;
}

function fmtMetric(k: string, v: unknown): string {
  if (v == null) return '—';
  if (typeof v === 'number') {
    if (/cash|equity/i.test(k)) return won(v);
    if (/return|cagr|volatility|drawdown|rate|exposure|share|turnover/i.test(k)) return ratio(v);
    if (/sharpe|sortino/i.test(k)) return v.toFixed(2);
    return num(v);
  }
  return String(v);
}

function Metrics({ metrics }: { metrics: Record<string, unknown> }) {
  return (
    <div class="table-wrap">
      <h2>{t('metrics')}</h2>
      <table class="metrics" data-testid="metrics">
        <tbody>{Object.entries(metrics).map(([k, v]) => <tr key={k}><th>{k}</th><td class="num">{fmtMetric(k, v)}</td></tr>)}</tbody>
      </table>
    </div>
  );
}

/** The index over the same sessions (the result carries its figures, not its curve) and the run measured against it. */
function Benchmark({ b, metrics }: { b: Bench; metrics: Record<string, unknown> }) {
  const row = (k: keyof Bench, own: unknown, text: string) => (
    <tr key={k}><th>{k}</th><td class="num">{own === undefined ? '' : fmtMetric(k, own)}</td><td class="num" data-key={k} data-value={String(b[k])}>{text}</td></tr>
  );
  const fix = (v: number | null) => (v == null ? '—' : v.toFixed(3));
  return (
    <div class="table-wrap">
      <h2>{t('benchmark')}: {b.name} ({b.index})</h2>
      <p class="muted small">{b.baseLevel.toFixed(2)} ({b.baseDate}) → {b.finalLevel.toFixed(2)}{b.sessionsWithoutLevel > 0 && ` · ${t('noData')}: ${b.sessionsWithoutLevel}`}</p>
      <table class="metrics" data-testid="benchmark" data-index={b.index}>
        <thead><tr><th /><th class="num">{t('strategy')}</th><th class="num">{b.name}</th></tr></thead>
        <tbody>
          {(['totalReturn', 'cagr', 'maxDrawdown'] as const).map((k) => row(k, metrics[k] ?? null, ratio(b[k])))}
          {row('beta', undefined, fix(b.beta))}
          {row('alphaDaily', undefined, ratio(b.alphaDaily, 3))}
          {row('alphaAnnualised', undefined, ratio(b.alphaAnnualised))}
          {row('trackingError', undefined, ratio(b.trackingError))}
          {row('informationRatio', undefined, fix(b.informationRatio))}
        </tbody>
      </table>
    </div>
  );
}

function Distribution({ runs }: { runs: StockReturn[] }) {
  const returns = runs.map((r) => r.totalReturn);
  const lo = Math.min(...returns), hi = Math.max(...returns);
  const bins = 20;
  const width = (hi - lo) / bins || 1;
  const counts = new Array(bins).fill(0);
  returns.forEach((r) => counts[Math.min(bins - 1, Math.floor((r - lo) / width))]++);
  const max = Math.max(...counts);
  const sorted = [...runs].sort((a, b) => b.totalReturn - a.totalReturn);
  const list = (rs: StockReturn[]) => (
    <ol>{rs.map((r) => <li key={r.code}><a href={`/stocks/${r.code}`}>{r.name}</a> <span class="muted">{r.code}</span> <span class={r.totalReturn >= 0 ? 'up' : 'down'}>{ratio(r.totalReturn)}</span></li>)}</ol>
  );
  return (
    <div>
      <h2>{t('distribution')} ({runs.length})</h2>
      <div class="histogram" data-testid="histogram">
        {counts.map((c, i) => (
          <div key={i} class={lo + (i + 0.5) * width >= 0 ? 'up-bar' : 'down-bar'} style={{ height: `${(c / max) * 100}%` }} title={`${ratio(lo + i * width)} … ${ratio(lo + (i + 1) * width)}: ${c}`} />
        ))}
      </div>
      <div class="hist-axis muted small"><span>{ratio(lo)}</span><span>{ratio(hi)}</span></div>
      <div class="bestworst">
        <div><h3>{t('best')}</h3>{list(sorted.slice(0, 5))}</div>
        <div><h3>{t('worst')}</h3>{list(sorted.slice(-5).reverse())}</div>
      </div>
    </div>
  );
}

function Trades({ id, total }: { id: string; total: number }) {
  const [page, setPage] = useState(0);
  const [rows, setRows] = useState<Trade[]>([]);
  const pages = Math.max(1, Math.ceil(total / PAGE));
  useEffect(() => {
    let live = true;
    getJson<{ total: number; trades: Trade[] }>(`/api/backtests/${id}/trades?offset=${page * PAGE}&limit=${PAGE}`)
      .then((r) => { if (live) setRows(r.trades); })
      .catch(() => undefined);
    return () => { live = false; };
  }, [id, page]);
  return (
    <div class="table-wrap">
      <h2>{t('trades')} ({num(total)})</h2>
      <table data-testid="trades">
        <thead><tr><th>{t('date')}</th><th>{t('codes')}</th><th>{t('side')}</th><th class="num">{t('price')}</th><th class="num">{t('quantity')}</th><th class="num">{t('fee')}</th><th class="num">{t('tax')}</th><th>{t('note')}</th></tr></thead>
        <tbody>{rows.map((r, i) => (
          <tr key={i}><td>{r.date}</td><td><a href={`/stocks/${r.code}`}>{r.code}</a></td><td class={r.side === 'buy' ? 'up' : 'down'}>{r.side}</td>
            <td class="num">{num(r.price)}</td><td class="num">{num(r.quantity)}</td><td class="num">{num(r.commission)}</td><td class="num">{num(r.tax)}</td><td>{r.note ?? ''}</td></tr>
        ))}</tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>{t('prev')}</button>
        <span>{page + 1} / {pages}</span>
        <button type="button" disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>{t('nextPage')}</button>
      </div>
    </div>
  );
}
