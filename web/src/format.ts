import { lang } from './i18n';

const KST = 'Asia/Seoul';
const timeFmt = new Intl.DateTimeFormat('ko-KR', { timeZone: KST, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat('ko-KR', {
  timeZone: KST, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});
const intFmt = new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 0 });

/** Whole number with separators (12,345). */
export function num(n: number | null | undefined): string {
  return n == null ? '—' : intFmt.format(n);
}

/** A price in won: 75,300원 (Korean) or ₩75,300 (English). */
export function won(n: number | null | undefined): string {
  if (n == null) return '—';
  return lang() === 'ko' ? `${intFmt.format(n)}원` : `₩${intFmt.format(n)}`;
}

/** A large amount in won: 1.36조 / 1,238억 (Korean), ₩1.36T / ₩123.8B (English). */
export function bigWon(n: number | null | undefined): string {
  if (n == null) return '—';
  const a = Math.abs(n);
  if (lang() === 'ko') {
    if (a >= 1e12) return `${(n / 1e12).toFixed(2)}조`;
    if (a >= 1e8) return `${intFmt.format(Math.round(n / 1e8))}억`;
    if (a >= 1e4) return `${intFmt.format(Math.round(n / 1e4))}만원`;
    return `${intFmt.format(n)}원`;
  }
  if (a >= 1e12) return `₩${(n / 1e12).toFixed(2)}T`;
  if (a >= 1e9) return `₩${(n / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `₩${(n / 1e6).toFixed(1)}M`;
  return `₩${intFmt.format(n)}`;
}

export function pct(n: number | null | undefined, digits = 2): string {
  if (n == null) return '—';
  return `${n > 0 ? '+' : ''}${n.toFixed(digits)}%`;
}

/** A ratio (0.123) as a percentage (+12.30%). */
export function ratio(n: number | null | undefined, digits = 2): string {
  return n == null ? '—' : pct(n * 100, digits);
}

/** Korean convention: red up, blue down. */
export function dirClass(n: number | null | undefined): string {
  if (n == null || n === 0) return 'flat';
  return n > 0 ? 'up' : 'down';
}

/** HH:MM:SS in KST. */
export function kstTime(iso: string | null | undefined): string {
  return iso ? `${timeFmt.format(new Date(iso))} KST` : '—';
}

/** yyyy.MM.dd HH:mm in KST. */
export function kstDateTime(iso: string | null | undefined): string {
  return iso ? `${dateTimeFmt.format(new Date(iso))} KST` : '—';
}

/** Today's date in KST as yyyy-MM-dd. */
export function kstToday(): string {
  return new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
