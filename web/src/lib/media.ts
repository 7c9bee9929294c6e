import { useSyncExternalStore } from 'react';

/** Whether the window matches the media `query` now (and again whenever that changes). */
export function useMedia(query: string): boolean {
  return useSyncExternalStore(
    (changed) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', changed);
      return () => { list.removeEventListener('change', changed); };
    },
    () => window.matchMedia(query).matches,
    () => true,
  );
}
