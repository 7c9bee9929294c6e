// Products in and out as files: the export downloaded with the caller's token (a plain link
// would carry none), the import's progress read line by line as the shop reports it.
import { type ChangeEvent, useState } from 'react';

import { accessToken } from '../../api/client';
import { describe, ApiError } from '../../api/problem';
import { FormError } from '../../components/Field';

interface Progress {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

interface Line {
  progress?: Progress | null;
  done?: Progress | null;
  error?: { row?: number; message?: string } | null;
  aborted?: { detail?: string } | null;
}

/** What an import's answer (NDJSON: progress, refused rows, then done or aborted) came to. */
export function readImport(body: string): { counts: Progress | null; errors: string[]; aborted: string | null } {
  let counts: Progress | null = null;
  let aborted: string | null = null;
  const errors: string[] = [];
  for (const line of body.split('\n').filter((l) => l.trim() !== '')) {
    const value = JSON.parse(line) as Line;
    counts = value.done ?? value.progress ?? counts;
    if (value.error) errors.push(`row ${String(value.error.row ?? '?')}: ${value.error.message ?? ''}`);
    if (value.aborted) aborted = value.aborted.detail ?? 'the import stopped';
  }
  return { counts, errors, aborted };
}

export function Transfer() {
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const headers = (): Record<string, string> => {
    const token = accessToken();
    return token === null ? {} : { authorization: `Bearer ${token}` };
  };
  async function exportCsv() {
    setError(null);
    const answer = await fetch('/api/v1/admin/products/export?format=csv', { headers: headers() });
    if (!answer.ok) {
      setError(describe(new ApiError(answer.status, null)));
      return;
    }
    const url = URL.createObjectURL(await answer.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = 'products.csv';
    link.click();
    URL.revokeObjectURL(url);
  }
  async function importFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    setError(null);
    setResult(null);
    const type = file.name.endsWith('.ndjson') ? 'application/x-ndjson' : 'text/csv';
    const answer = await fetch('/api/v1/admin/products/import', {
      method: 'POST',
      headers: { ...headers(), 'content-type': type },
      body: file,
    });
    const body = await answer.text();
    if (!answer.ok) {
      setError(describe(new ApiError(answer.status, JSON.parse(body || 'null') as null)));
      return;
    }
    const { counts, errors, aborted } = readImport(body);
    if (aborted !== null) setError(`The import stopped: ${aborted}`);
    setResult(
      counts
        ? `${String(counts.rows)} rows: ${String(counts.created)} created, ${String(counts.updated)} updated, ${String(counts.unchanged)} unchanged, ${String(counts.failed)} failed. ${errors.slice(0, 5).join('; ')}`
        : 'The file had no rows.',
    );
  }
  return (
    <section aria-labelledby="transfer-heading" className="transfer">
      <h2 id="transfer-heading">Import and export</h2>
      <FormError message={error} />
      {result && <p className="notice" role="status">{result}</p>}
      <button type="button" className="button--secondary" onClick={() => void exportCsv()}>
        Export products (CSV)
      </button>{' '}
      <label className="field field--inline">
        Import a file (CSV or NDJSON)
        <input type="file" accept=".csv,.ndjson,text/csv" onChange={(e) => void importFile(e)} />
      </label>
    </section>
  );
}
