import { describe, expect, it } from 'vitest';

import { changeText, lastDays } from './dates';

describe('report ranges', () => {
  it('spans the last days up to today, both ends included', () => {
    expect(lastDays(30, new Date('2026-03-01T12:00:00Z'))).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    expect(lastDays(1, new Date('2026-03-01T12:00:00Z'))).toEqual({ from: '2026-03-01', to: '2026-03-01' });
  });

  it('shows a change with its sign, and none when there was nothing before', () => {
    expect(changeText(12.345)).toBe('+12.3%');
    expect(changeText(-4)).toBe('-4.0%');
    expect(changeText(0)).toBe('0.0%');
    expect(changeText(null)).toBe('new');
  });
});
