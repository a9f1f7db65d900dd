import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json and proto/: the repository in development, /app in
 * an image. Found by walking up from this file so it works from src/ and dist/ alike.
 */
function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'proto'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json with proto/ above ${start}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot(__dirname);
