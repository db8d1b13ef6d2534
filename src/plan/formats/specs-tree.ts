import { err } from '../../result.js';
import { errorAt } from '../diagnostic.js';
import type { PlanFormat } from '../types.js';

// Placeholder until the format is written: claims nothing.
export const specsTreeFormat: PlanFormat = {
  name: 'specs-tree',
  describe: '(not yet readable)',
  async detect() {
    return false;
  },
  async read() {
    return err([errorAt(undefined, 'the specs-tree format is not readable yet')]);
  },
  async writeStatus() {
    return err(errorAt(undefined, 'the specs-tree format is not writable yet'));
  },
};
