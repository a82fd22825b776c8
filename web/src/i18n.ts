import { useEffect, useState } from 'preact/hooks';

export type Lang = 'ko' | 'en';

const ko = {
  market: '시장', stocks: '종목', backtests: '백테스트', conditions: '조건검색', quality: '데이터 품질', docs: 'API 문서',
  search: '종목명 또는 코드 검색', all: '전체', volume: '거래량', value: '거래대금', change: '등락률',
  rank: '순위', name: '종목명', price: '현재가', asOf: '기준', simulated: '시뮬레이션 데이터 — 실제 시세가 아닙니다',
  replay: '리플레이 — 과거 데이터를 재생 중입니다', liveSource: '실시간 소스', sourceDown: '실시간 소스 중단',
  'phase.closed': '장 종료', 'phase.pre-open': '장전 동시호가', 'phase.regular': '정규장', 'phase.closing-auction': '장마감 동시호가',
  'phase.after-hours': '시간외', 'phase.holiday': '휴장', next: '다음', alwaysOpen: '상시 개장 데모', realPhase: '실제',
  closeOf: '종가', staleRanking: '오늘 실시간 체결이 없어 최근 저장된 거래일 순위를 표시합니다',
  liveRanking: '실시간', noRows: '표시할 종목이 없습니다', loading: '불러오는 중…',
  period: '기간', basis: '가격 기준', raw: '수정 전(원주가)', adjusted: '수정주가', source: '출처', bars: '봉',
  candles: '일봉', liveCandle: '실시간 캔들', investors: '투자자별 순매수', individual: '개인', foreign: '외국인',
  'institution-total': '기관계', cumulative: '누적', daily: '일별', orderBook: '호가 (10단계)', ask: '매도', bid: '매수',
  keyFacts: '종목 정보', industry: '업종', listedShares: '상장주식수', marketCap: '시가총액', listingDate: '상장일',
  delisted: '상장폐지', noData: '데이터 없음', noBook: '호가 없음 (장중에만 갱신됩니다)', qty: '잔량',
  strategy: '전략', params: '파라미터', codes: '종목 코드', universe: '전체 종목', from: '시작일', to: '종료일',
  cash: '초기 자금', fill: '체결', commission: '수수료율', sellTax: '매도세(정액, 비우면 날짜별 세율)', slippage: '슬리피지(틱)',
  benchmark: '벤치마크', run: '실행', running: '실행 중',
  equity: '평가금액', drawdown: '낙폭', metrics: '성과 지표', trades: '거래 내역', pastRuns: '이 노드의 지난 실행',
  distribution: '종목별 수익률 분포', best: '상위 종목', worst: '하위 종목', prev: '이전', nextPage: '다음',
  status: '상태', runs: '수집 실행', quarantine: '격리된 행', reason: '사유', payload: '원본', missingSessions: '데이터가 빠진 거래일',
  calendarCoverage: '거래일 달력 범위', published: 'KRX 공표', provisional: '잠정(규칙 기반)', sourceStatus: '소스 및 서킷 브레이커',
  expression: '조건식', condName: '조건 이름', schedule: '실행 주기', interval: '간격(초)', channels: '알림 채널', save: '저장', screenNow: '지금 검색',
  notEnough: '이력 부족', noBar: '당일 봉 없음', lastSession: '최근 평가 거래일', delete: '삭제', noConditions: '저장된 조건이 없습니다',
  history: '편입·이탈 이력', matching: '현재 편입 종목', values: '판단 값', entry: '편입', exit: '이탈', alerts: '알림',
  notFound: '페이지를 찾을 수 없습니다', date: '일자', side: '구분', quantity: '수량', note: '비고', job: '작업', read: '읽음',
  kiwoomCondition: '키움 HTS', edit: '편집', editing: '조건 편집', cancel: '취소', active: '활성', retry: '재시도',
  noFlows: '저장된 투자자별 매매 동향이 없습니다. 다음 명령으로 가져옵니다:',
  configured: '설정됨', notConfigured: '설정 안 됨', testSend: '시험 발송', sent: '발송 성공', unchanged: '변경하지 않음', dropApi: 'API 설정 삭제',
  accepted: '반영', quarantined: '격리', started: '시작', error: '오류', none: '없음', total: '합계', open: '시가', high: '고가', low: '저가', fee: '수수료', tax: '세금',
} as const;

type Key = keyof typeof ko;

const en: Record<Key, string> = {
  market: 'Market', stocks: 'Stocks', backtests: 'Backtests', conditions: 'Conditions', quality: 'Data quality', docs: 'API docs',
  search: 'Search name or code', all: 'All', volume: 'Volume', value: 'Value', change: 'Change %',
  rank: '#', name: 'Name', price: 'Price', asOf: 'as of', simulated: 'SIMULATED data — not real market prices',
  replay: 'REPLAY — past data being replayed', liveSource: 'Live source', sourceDown: 'live source down',
  'phase.closed': 'Closed', 'phase.pre-open': 'Pre-open auction', 'phase.regular': 'Regular session', 'phase.closing-auction': 'Closing auction',
  'phase.after-hours': 'After hours', 'phase.holiday': 'Holiday', next: 'next', alwaysOpen: 'always-open demo', realPhase: 'real market:',
  closeOf: 'close', staleRanking: 'No live trades today: showing the latest stored session',
  liveRanking: 'Live', noRows: 'No stocks to show', loading: 'Loading…',
  period: 'Period', basis: 'Price basis', raw: 'Raw', adjusted: 'Adjusted', source: 'Source', bars: 'bars',
  candles: 'Daily', liveCandle: 'live candle', investors: 'Net buying by investor', individual: 'Individual', foreign: 'Foreign',
  'institution-total': 'Institutions', cumulative: 'Cumulative', daily: 'Daily', orderBook: 'Order book (10 levels)', ask: 'Ask', bid: 'Bid',
  keyFacts: 'Key facts', industry: 'Industry', listedShares: 'Listed shares', marketCap: 'Market cap', listingDate: 'Listed',
  delisted: 'Delisted', noData: 'No data', noBook: 'No book (updates during sessions)', qty: 'Qty',
  strategy: 'Strategy', params: 'Parameters', codes: 'Codes', universe: 'Whole universe', from: 'From', to: 'To',
  cash: 'Initial cash', fill: 'Fill', commission: 'Commission', sellTax: 'Sell tax (flat; empty = dated table)', slippage: 'Slippage (ticks)',
  benchmark: 'Benchmark', run: 'Run', running: 'Running',
  equity: 'Equity', drawdown: 'Drawdown', metrics: 'Metrics', trades: 'Trades', pastRuns: 'Past runs on this node',
  distribution: 'Distribution of returns', best: 'Best', worst: 'Worst', prev: 'Prev', nextPage: 'Next',
  status: 'Status', runs: 'Collection runs', quarantine: 'Quarantined rows', reason: 'Reason', payload: 'Payload', missingSessions: 'Sessions with missing data',
  calendarCoverage: 'Calendar coverage', published: 'published by KRX', provisional: 'provisional (rules)', sourceStatus: 'Sources and breaker',
  expression: 'Expression', condName: 'Name', schedule: 'Schedule', interval: 'Interval (s)', channels: 'Channels', save: 'Save', screenNow: 'Screen now',
  notEnough: 'not enough history', noBar: 'no bar today', lastSession: 'Last session', delete: 'Delete', noConditions: 'No saved conditions',
  history: 'Entries and exits', matching: 'Matching now', values: 'Values', entry: 'entry', exit: 'exit', alerts: 'Alerts',
  notFound: 'Page not found', date: 'Date', side: 'Side', quantity: 'Qty', note: 'Note', job: 'Job', read: 'Read',
  kiwoomCondition: 'Kiwoom HTS', edit: 'Edit', editing: 'Editing condition', cancel: 'Cancel', active: 'Active', retry: 'Retry',
  noFlows: 'No investor flows stored. They come in with:',
  configured: 'configured', notConfigured: 'not configured', testSend: 'Send test', sent: 'sent', unchanged: 'unchanged', dropApi: 'Drop API settings',
  accepted: 'Accepted', quarantined: 'Quarantined', started: 'Started', error: 'Error', none: 'none', total: 'Total', open: 'Open', high: 'High', low: 'Low', fee: 'Fee', tax: 'Tax',
};

let current: Lang = (localStorage.getItem('krxhub.lang') as Lang | null) ?? 'ko';
const listeners = new Set<(l: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem('krxhub.lang', l);
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}

export function t(key: Key): string {
  return current === 'ko' ? ko[key] : en[key];
}

/** Any string key that may be missing (phase names from the server): falls back to the key itself. */
export function tAny(key: string): string {
  return key in ko ? t(key as Key) : key;
}

export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => listeners.delete(set);
  }, []);
  return l;
}
