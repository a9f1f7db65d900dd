import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The build-context filter of a `.dockerignore`, with Docker's rules: patterns relative to
 * the context root (a leading `/` is ignored), `*` and `?` within one path segment, `**`
 * across segments, `!` re-includes, the last matching pattern wins, and a path is excluded
 * when it or one of its parent folders matches.
 */
export class DockerIgnore {
  private readonly rules: Array<{ regex: RegExp; exclude: boolean }>;

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const exclude = !line.startsWith('!');
        const pattern = path.posix.normalize((exclude ? line : line.slice(1)).trim()).replace(/^\/+|\/+$/g, '');
        return { regex: new RegExp(`^${toRegexSource(pattern)}$`), exclude };
      });
  }

  static read(file: string): DockerIgnore {
    return new DockerIgnore(readFileSync(file, 'utf8'));
  }

  /** Whether a context-relative path (posix separators) stays out of the build context. */
  excludes(relativePath: string): boolean {
    const segments = relativePath.split('/');
    const candidates = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
    let excluded = false;
    for (const rule of this.rules) {
      if (candidates.some((candidate) => rule.regex.test(candidate))) excluded = rule.exclude;
    }
    return excluded;
  }
}

function toRegexSource(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of folders, `**` at the end anything.
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i);
      out += end > i ? pattern.slice(i, end + 1).replace(/^\[!/, '[^') : '\\[';
      if (end > i) i = end;
    } else {
      out += char.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return out;
}
