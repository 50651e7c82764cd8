/** The bench's met/MISSED verdict (scripts/bench.ts): numeric goals on a row's own value only. */
import { describe, expect, it } from 'vitest';
import { goalVerdict } from '../../scripts/bench.js';

describe('goalVerdict', () => {
  it('judges a goal on the row value', () => {
    expect(goalVerdict({ value: 1999, goal: '< 2000 ms' })).toBe('met');
    expect(goalVerdict({ value: 2000, goal: '< 2000 ms' })).toBe('MISSED');
    expect(goalVerdict({ value: 50, goal: '>= 50' })).toBe('met');
    expect(goalVerdict({ value: 10, goal: undefined })).toBeUndefined();
  });

  it('leaves ratio goals to the row note (a 65 ms import is not judged against "<= 1.20x floor")', () => {
    expect(goalVerdict({ value: 65, goal: '<= 1.20x floor' })).toBeUndefined();
    expect(goalVerdict({ value: 40, goal: '<= 1.30x node -e 0' })).toBeUndefined();
    expect(goalVerdict({ value: 400_000, goal: '>= 50% raw loop' })).toBeUndefined();
  });
});
