export interface Stock {
  code: string; name: string; nameEn: string | null; market: string; segment: string | null; isin: string | null;
  listingDate: string | null; delistingDate: string | null; listedShares: number | null; industry: string | null;
}
export interface Bar {
  code: string; date: string; open: number; high: number; low: number; close: number; volume: number;
  tradingValue: number | null; marketCap: number | null; listedShares: number | null; noTrade: boolean; basis: string; source: string;
}
export interface RankingRow { rank: number; code: string; name: string; market: string; price: number; changePct: number | null; volume: number; value: number | null }
export interface Rankings { market: string; metric: string; n: number; date?: string; live?: boolean; stale?: boolean; source: string | null; asOf: string | null; rows: RankingRow[] }
export interface InvestorFlow { date: string; investor: string; netVolume: number | null; netValue: number | null; derived?: boolean }
export interface Tick { code: string; price: number; change: number; changePct: number; volume: number; accVolume: number; accValue: number; open: number; high: number; low: number; time: string; source: string; stale?: boolean }
export interface BookLevel { price: number; qty: number }
export interface Book { code: string; asks: BookLevel[]; bids: BookLevel[]; totalAskQty: number; totalBidQty: number; time: string; source: string }
export interface SessionMsg { phase: string; at: string; next: { phase: string; at: string } | null; alwaysOpen: boolean }
export interface LiveStatus { source: string | null; sourceUp: boolean; runsHere: boolean; node: string }

export class ApiError extends Error {
  /** body: the ProblemDetails, when the answer was JSON (a bad condition carries its column). */
  constructor(public status: number, message: string, public body?: any) { super(message); }
}

const KEY = 'krxhub.apiKey';

/** The API key this browser keeps (a hub with keys answers 401 without one; docs/access.md). */
export function apiKey(): string | null {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

let asking = false;
function askForKey(status: number): void {
  if (asking) return;
  asking = true;
  const text = status === 401 ? 'API 키가 필요합니다 / This hub needs an API key (krx_…):' : '이 키로는 할 수 없습니다 / This key may not do that; another key (krx_…):';
  const key = window.prompt(text, '');
  if (key && key.trim()) {
    localStorage.setItem(KEY, key.trim());
    location.reload();
  }
  asking = false;
}

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const key = apiKey();
  const headers = new Headers(init?.headers);
  if (key && url.startsWith('/api')) headers.set('Authorization', `Bearer ${key}`);
  const res = await fetch(url, { ...init, headers });
  if (res.status === 401 || (res.status === 403 && init?.method && init.method !== 'GET')) askForKey(res.status);
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`, p;
    try {
      p = await res.json();
      detail = p.errors ? Object.values(p.errors).flat().join('; ') : (p.detail ?? p.title ?? detail);
    } catch { /* not JSON */ }
    throw new ApiError(res.status, detail, p);
  }
  return (res.status === 204 ? null : res.json()) as Promise<T>;
}
