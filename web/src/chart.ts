import { ColorType, createChart, type DeepPartial, type ChartOptions } from 'lightweight-charts';

export const UP = '#d9262c';
export const DOWN = '#1f5fd6';

/** Chart defaults shared by every chart on the dashboard (KST business days, Korean separators). */
export function newChart(el: HTMLElement, extra: DeepPartial<ChartOptions> = {}) {
  return createChart(el, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: '#ffffff' }, textColor: '#333', fontSize: 11, attributionLogo: false },
    grid: { vertLines: { color: '#f0f0f0' }, horzLines: { color: '#f0f0f0' } },
    rightPriceScale: { borderColor: '#ddd' },
    timeScale: { borderColor: '#ddd' },
    localization: { locale: 'ko-KR', priceFormatter: (p: number) => Math.round(p).toLocaleString('ko-KR') },
    ...extra,
  });
}

/** Simple moving average of closes, null during warm-up (the same definition as the hub's Sma). */
export function sma(values: number[], period: number): (number | null)[] {
  const out: (number | null)[] = new Array(values.length).fill(null);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= period) sum -= values[i - period];
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}
