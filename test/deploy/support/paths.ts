import path from 'node:path';
import { repoRoot } from '../../../common/src/repo-root';

/** Absolute path of a file or folder of the repository. */
export function repoPath(...segments: string[]): string {
  return path.join(repoRoot, ...segments);
}

export const chartDir = repoPath('helm', 'aletheia');
export const productionValuesFile = path.join(chartDir, 'values-production.example.yaml');
