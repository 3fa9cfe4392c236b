/**
 * The order test files start in: the longest first, so that on two workers no long file starts
 * last and runs alone. Vitest's own order needs a previous run's durations (its cache); a clean
 * clone has none and would start the biggest files, which are not the slow ones (the fault
 * matrix's parts are a few lines each). So files go by kind — fault matrix, end-to-end, against
 * real servers, property tests, the rest — and within a kind in vitest's order.
 */
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

const KINDS: readonly RegExp[] = [
  /\/test\/faults\/matrix-/,
  /\/test\/e2e\//,
  /\.integration\.test\.ts$|\/test\/contract\//,
  /\.property\.test\.ts$|\/test\/fuzz\//,
];

/** 0 for the slowest kind; files of no listed kind come last. */
export function kindRank(file: string): number {
  const i = KINDS.findIndex((re) => re.test(file.replaceAll('\\', '/')));
  return i === -1 ? KINDS.length : i;
}

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    // Array.prototype.sort is stable: within a kind, vitest's order stays.
    return base.sort((a, b) => kindRank(a.moduleId) - kindRank(b.moduleId));
  }
}
