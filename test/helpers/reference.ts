/**
 * Where the team's reference captures of Asterisk 22.10.1 live: `shared/` beside the repository (as in CI, where
 * a copy of shared/ is laid next to the clone).
 */

import path from 'node:path';
import { PROJECT_ROOT } from '../../src/shared/paths.ts';

export const REFERENCE_DIR = path.resolve(PROJECT_ROOT, '..', 'shared', 'reference', 'asterisk-22');
export const REFERENCE_CONFIG_DIR = path.join(REFERENCE_DIR, 'config');
