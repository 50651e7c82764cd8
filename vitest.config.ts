import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that run for tens of seconds (they copy the project, synthesize, run terraform): started first, so that no
 * worker is left alone with one of them at the end. Without vitest's results cache (a fresh clone) vitest orders
 * files by size, which starts these small files last.
 */
const SLOW_FIRST = [/lifecycle-cdktf\.test/, /lifecycle-state\.test/, /tf-check\.test/, /client-events\/stack\.test/, /buy-with-prime\/terraform\.test/];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((re) => re.test(f.moduleId));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    globalSetup: ['__tests__/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker less than the cores: ONE on a 2-core machine, which then runs every file in
    // turn while the many tests that wait on child processes (terraform, synth, emulators) leave a core idle.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowFirstSequencer },
    reporters: ['default'],
  },
});
