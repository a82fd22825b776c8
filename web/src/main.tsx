import { render } from 'preact';
import { SearchBox, SessionBadge, SourceBanner } from './components';
import { setLang, t, useLang } from './i18n';
import { BacktestsPage } from './pages/Backtests';
import { ConditionsPage } from './pages/Conditions';
import { MarketPage } from './pages/Market';
import { QualityPage } from './pages/Quality';
import { StockPage } from './pages/Stock';
import { onLinkClick, usePath } from './router';
import './style.css';

function Page({ path }: { path: string }) {
  const stock = /^\/stocks\/([0-9][0-9A-Z]{5})\/?$/.exec(path);
  if (stock) return <StockPage code={stock[1]} />;
  switch (path.replace(/\/$/, '') || '/') {
    case '/': return <MarketPage />;
    case '/backtests': return <BacktestsPage />;
    case '/conditions': return <ConditionsPage />;
    case '/quality': return <QualityPage />;
    default: return <div class="page"><p class="error">{t('notFound')}: {path}</p></div>;
  }
}

function App() {
  const lang = useLang();
  const path = usePath();
  const nav: [string, string][] = [['/', t('market')], ['/backtests', t('backtests')], ['/conditions', t('conditions')], ['/quality', t('quality')]];
  return (
    <div onClick={(e) => onLinkClick(e as unknown as MouseEvent)} key={lang}>
      <SourceBanner />
      <header class="top">
        <a href="/" class="logo">KrxHub</a>
        <nav>
          {nav.map(([href, label]) => (
            <a key={href} href={href} class={(href === '/' ? path === '/' : path.startsWith(href)) ? 'on' : ''}>{label}</a>
          ))}
          <a href="/docs" target="_blank" rel="noopener">{t('docs')}</a>
        </nav>
        <SearchBox />
        {path !== '/' && <SessionBadge />}
        <button class="lang" type="button" data-testid="lang" onClick={() => setLang(lang === 'ko' ? 'en' : 'ko')}>{lang === 'ko' ? 'EN' : '한국어'}</button>
      </header>
      <main><Page path={path} /></main>
    </div>
  );
}

document.documentElement.lang = localStorage.getItem('krxhub.lang') ?? 'ko';
render(<App />, document.getElementById('app')!);
