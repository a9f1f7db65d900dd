import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { repoRoot } from '../src/repo-root';

/** Production code: what runs in the two programs, their migrations and scripts (not tests, not the benchmark). */
const productionRoots = ['common/src', 'gateway/src', 'auth-service/src', 'migrations', 'scripts'];

/** Casts the code may keep: each needs a reason, and together they stay few. */
const maxTypeAssertions = 30;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Assertion {
  where: string;
  reasoned: boolean;
}

/** `x as T` and `<T>x` in a file, `as const` excepted, each with whether a comment gives its reason. */
function typeAssertions(file: string): Assertion[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Assertion[] = [];
  const visit = (node: ts.Node) => {
    const isAssertion = ts.isAsExpression(node) || ts.isTypeAssertionExpression(node);
    if (isAssertion && !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const')) {
      let statement: ts.Node = node;
      while (statement.parent && !ts.isSourceFile(statement.parent) && !ts.isBlock(statement.parent)) {
        statement = statement.parent;
      }
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      const lineText = text.split('\n')[line];
      const reasoned =
        (ts.getLeadingCommentRanges(text, statement.getFullStart()) ?? []).length > 0 || lineText.includes('//');
      found.push({ where: `${path.relative(repoRoot, file)}:${line + 1}`, reasoned });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('type assertions in production code', () => {
  const assertions = productionRoots.flatMap((root) =>
    sourceFiles(path.join(repoRoot, root)).flatMap((file) => typeAssertions(file)),
  );

  it(`stay under ${maxTypeAssertions}`, () => {
    expect(assertions.length, assertions.map((assertion) => assertion.where).join('\n')).to.be.below(maxTypeAssertions);
  });

  it('each say why, in a comment on or above their statement', () => {
    expect(assertions.filter((assertion) => !assertion.reasoned).map((assertion) => assertion.where)).to.deep.equal([]);
  });
});
