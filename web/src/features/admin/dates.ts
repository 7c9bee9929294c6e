// The date ranges the admin reports are asked for (days in the shop's calendar, YYYY-MM-DD).

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The last `days` days up to today. */
export function lastDays(days: number, today = new Date()): { from: string; to: string } {
  const from = new Date(today);
  from.setUTCDate(from.getUTCDate() - (days - 1));
  return { from: day(from), to: day(today) };
}

/** A change in percent as shown beside a figure (`null`: nothing to compare with). */
export function changeText(change: number | null | undefined): string {
  if (change === null || change === undefined) return 'new';
  const sign = change > 0 ? '+' : '';
  return `${sign}${change.toFixed(1)}%`;
}
