import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  listeners.forEach((f) => f());
}

window.addEventListener('popstate', () => listeners.forEach((f) => f()));

export function usePath(): string {
  const [path, set] = useState(location.pathname);
  useEffect(() => {
    const f = () => set(location.pathname);
    listeners.add(f);
    return () => listeners.delete(f);
  }, []);
  return path;
}

/** Same-origin link clicks navigate without a reload. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as HTMLElement).closest('a');
  if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/docs') || href.startsWith('/api')) return;
  e.preventDefault();
  navigate(href);
}
