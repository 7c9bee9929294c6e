import { describe } from '../api/problem';

/** What a page shows while its data comes, or instead of it when it cannot. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="status" role="status">
      Loading {what}…
    </p>
  );
}

export function Failed({ error }: { error: unknown }) {
  return (
    <p className="status status--error" role="alert">
      {describe(error)}
    </p>
  );
}
