import { useEffect } from 'react';

const SHOP = 'Shop';

/** Sets the document's title for the page shown (`null`: the shop's own). */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    document.title = title === null ? SHOP : `${title} · ${SHOP}`;
  }, [title]);
}
