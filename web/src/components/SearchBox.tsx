// The header's search: submits to /search?q=, and suggests products as one types (the
// API's suggestions, asked for once typing pauses).
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useNavigate } from 'react-router';

import { api, data } from '../api/client';
import { productPath } from '../lib/slug';

function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => { setSettled(value); }, ms);
    return () => { clearTimeout(t); };
  }, [value, ms]);
  return settled;
}

export function SearchBox() {
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const q = useDebounced(text.trim(), 150);
  const listId = useId();
  const suggestions = useQuery({
    queryKey: ['suggest', q],
    queryFn: () => data(api.GET('/api/v1/search/suggest', { params: { query: { q, limit: 6 } } })),
    enabled: q.length >= 2,
    staleTime: 30_000,
  });
  const items = q.length >= 2 ? (suggestions.data?.items ?? []) : [];
  return (
    <form
      role="search"
      className="search"
      onSubmit={(e) => {
        e.preventDefault();
        setOpen(false);
        void navigate(`/search?q=${encodeURIComponent(text.trim())}`);
      }}
    >
      <label htmlFor={`${listId}-input`} className="visually-hidden">
        Search products
      </label>
      <input
        id={`${listId}-input`}
        type="search"
        value={text}
        placeholder="Search products"
        autoComplete="off"
        maxLength={200}
        role="combobox"
        aria-autocomplete="list"
        aria-controls={listId}
        aria-expanded={open && items.length > 0}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
      />
      <button type="submit">Search</button>
      {open && items.length > 0 && (
        <ul id={listId} className="suggestions" aria-label="Suggestions">
          {items.map((s) => (
            <li key={s.product_id}>
              <button
                type="button"
                onClick={() => {
                  setOpen(false);
                  setText('');
                  void navigate(productPath({ id: s.product_id, name: s.name }));
                }}
              >
                {s.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
