import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

/**
 * The product explains itself: user-facing text points into docs/model.md or docs/theory.md, never at a
 * brief or scripts outside the repository (the benchmark peers live in bench/peers/).
 */
const roots = ['src', 'web', 'docs', 'bench', 'README.md'];
const forbidden = ['SPEC §', '../shared', 'shared/anchors'];
const textFile = /\.(ts|js|mjs|cjs|md|html|css|py|json|yaml|yml)$/;

function files(path: string): string[] {
  const full = join(repoRoot, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [path];
  return readdirSync(full, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' || e.name === 'generated' ? [] : files(join(path, e.name)),
  );
}

const scanned = roots.flatMap(files).filter((f) => textFile.test(f));
const hits = (file: string) => {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return forbidden.filter((s) => text.includes(s));
};

describe('self-contained docs', () => {
  it('scans the user-facing files', () => {
    expect(scanned).toContain('README.md');
    expect(scanned).toContain('docs/model.md');
    expect(scanned.length).toBeGreaterThan(50);
  });

  it('no file cites a document or script outside the repository', () => {
    const bad = scanned.flatMap((f) => hits(f).map((h) => `${f}: ${h}`));
    expect(bad).toEqual([]);
  });

  it('docs/model.md has the anchors the code and docs point to', () => {
    const model = readFileSync(join(repoRoot, 'docs', 'model.md'), 'utf8');
    const anchors = new Set(
      [...model.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-'),
      ),
    );
    const cited = new Set<string>();
    for (const f of [...scanned, ...files('test')]) {
      const text = readFileSync(join(repoRoot, f), 'utf8');
      for (const m of text.matchAll(/model\.md#([a-z0-9-]+)/g)) cited.add(m[1]);
    }
    expect(cited.size).toBeGreaterThan(3);
    expect([...cited].filter((a) => !anchors.has(a))).toEqual([]);
  });

  it('every file of the repository the docs name exists', () => {
    const named = /\b(?:src|test|bench|web|assembly|examples)\/[A-Za-z0-9_./-]+\.(?:ts|mjs|js|py|yaml)\b/g;
    const docs = scanned.filter((f) => f.endsWith('.md'));
    const missing = docs.flatMap((f) =>
      [...readFileSync(join(repoRoot, f), 'utf8').matchAll(named)].map((m) => m[0]).filter((p) => !p.includes('NAME') && !existsSync(join(repoRoot, p))).map((p) => `${f}: ${p}`),
    );
    expect(missing).toEqual([]);
  });
});
