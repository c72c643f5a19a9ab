/**
 * The web explorer end to end: `paratransfer serve` over HTTP, then the page in real headless Chromium (Debian's
 * chromium driven by playwright-core). The browser tests skip only when chromium is absent locally; under CI its
 * absence is a failure.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentShape } from '../../src/config/schema.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { buildWeb, chromiumArgs, chromiumPath, haveChromium, rawGet, serve, type Served } from '../helpers/web.js';

const artifacts = join(repoRoot, 'test-artifacts');
const small = ['--set', 'd=200', '--set', 'steps=60'];

let buildOutput = '';
beforeAll(async () => {
  buildOutput = await buildWeb();
});

describe('paratransfer serve', () => {
  let server: Served;
  beforeAll(async () => {
    server = await serve();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('bundles no Node-only module into the app', () => {
    expect(buildOutput).not.toMatch(/externalized for browser compatibility|node:fs|node:crypto/);
  });

  it('serves the app with correct content types', async () => {
    const index = await rawGet(server.port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.body).toContain('data-testid="run"');
    const assets = readdirSync(join(repoRoot, 'dist/web/assets'));
    const js = assets.find((f) => f.endsWith('.js'))!;
    const css = assets.find((f) => f.endsWith('.css'))!;
    expect((await rawGet(server.port, `/assets/${js}`)).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawGet(server.port, `/assets/${css}`)).headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await rawGet(server.port, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('lists no directory and serves nothing outside the build', async () => {
    for (const path of [
      '/assets/',
      '/assets',
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '//etc/passwd',
      '/%00index.html',
      '/missing.js',
    ]) {
      const r = await rawGet(server.port, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('"name": "paratransfer"');
    }
    expect((await rawGet(server.port, '/%E0%A4%A')).status).toBe(400);
  });

  it('answers only GET and HEAD, only to loopback host names', async () => {
    const post = await rawGet(server.port, '/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await rawGet(server.port, '/', { host: 'attacker.example' })).status).toBe(403);
    expect((await rawGet(server.port, '/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('has no sweep export unless --results is given', async () => {
    expect((await rawGet(server.port, '/results.json')).status).toBe(204);
  });

  it('reports a port in use, a bad port and a bad --results as one-line errors', async () => {
    const busy = await runCli(['serve', '--port', String(server.port)]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe(
      `paratransfer: error: --port ${server.port}: 127.0.0.1:${server.port} is already in use (choose another port, or --port 0 for any free one)\n`,
    );
    const bad = await runCli(['serve', '--port', '70000']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('paratransfer: error: --port: must be an integer in [0, 65535] (0: any free port), got "70000"\n');
    const missing = await runCli(['serve', '--port', '0', '--results', '/nonexistent/sweep']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('paratransfer: error: --results /nonexistent/sweep: no such directory\n');
    const empty = mkdtempSync(join(tmpdir(), 'pt-serve-empty-'));
    const notSweep = await runCli(['serve', '--port', '0', '--results', empty]);
    expect(notSweep.code).toBe(1);
    expect(notSweep.stderr).toMatch(/^paratransfer: error: .*no results\.sqlite here/);
    expect(notSweep.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('chromium for the browser tests', () => {
  it.runIf(Boolean(process.env.CI))('is installed (CI must run the browser tests)', () => {
    expect(haveChromium, `${chromiumPath} is missing: apt-get install -y chromium`).toBe(true);
  });
});

describe.skipIf(!haveChromium)('the explorer in headless Chromium', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    server = await serve();
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(server.url);
    await page.getByTestId('engine').filter({ hasNotText: '…' }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function waitForResult(): Promise<{ transfer: number; scratch: number }> {
    await page.getByTestId('transfer-error').filter({ hasText: /^\d/ }).waitFor({ timeout: 90_000 });
    return {
      transfer: Number(await page.textContent('[data-testid=transfer-error]')),
      scratch: Number(await page.textContent('[data-testid=scratch-error]')),
    };
  }

  it('runs a preset in the worker and gets exactly the CLI numbers', async () => {
    await page.selectOption('[data-testid=preset]', 'negative-transfer');
    await page.fill('[data-testid=field-d]', '200');
    await page.fill('[data-testid=field-steps]', '60');
    expect(await page.textContent('[data-testid=cli-command]')).toBe('npx paratransfer run negative-transfer --set d=200 --set steps=60 --json');
    await page.click('[data-testid=run]');
    const page1 = await waitForResult();

    const cli = await runCli(['run', 'negative-transfer', ...small, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const ref = JSON.parse(cli.stdout) as { transfer: { testError: number }; scratch: { testError: number } };
    expect(page1.transfer).toBe(ref.transfer.testError);
    expect(page1.scratch).toBe(ref.scratch.testError);
    // Not a trivial agreement: on this preset transfer is clearly worse than scratch.
    expect(page1.transfer).toBeGreaterThan(page1.scratch + 0.005);

    // The whole result, downloaded from the page, is what the CLI prints, bit for bit: the numerical core uses only
    // IEEE-exact operations and its own exp/log (src/util/detmath.ts), never the engine's Math.exp/log/sin/cos.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    const web = JSON.parse(text) as unknown;
    const cliResult = JSON.parse(cli.stdout) as unknown;
    let compared = 0;
    const same = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'number' && typeof b === 'number') {
        compared++;
        expect(b, path).toBe(a);
      } else if (typeof a === 'object' && a !== null) {
        expect(Object.keys(b as object), path).toEqual(Object.keys(a));
        for (const [k, v] of Object.entries(a)) same(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
      } else expect(b, path).toBe(a);
    };
    same(cliResult, web, '');
    expect(compared).toBeGreaterThan(500);
    expect(JSON.stringify(web)).toBe(JSON.stringify(cliResult));

    // Charts were drawn from the run: one line per run in the loss chart, split filters in the feature charts.
    expect(await page.locator('[data-testid=loss-chart] svg path[stroke-width="2"]').count()).toBe(3);
    expect(await page.locator('[data-testid=noise-chart] svg text', { hasText: 'transfer: inherited filters' }).count()).toBe(1);
  });

  it('computes an α-curve whose point at the run’s α equals the single run', async () => {
    await page.fill('[data-testid=alpha-count]', '3');
    await page.click('[data-testid=alpha-run]');
    await page.getByTestId('status').filter({ hasText: /^α-curve finished/ }).waitFor({ timeout: 90_000 });
    const titles = await page.locator('[data-testid=alpha-chart] circle title').allTextContents();
    expect(titles).toHaveLength(6); // transfer and scratch at α = 0, 0.5, 1
    const atHalf = titles.find((t) => t.startsWith('measured: transfer') && t.includes('α = 0.5,'));
    const single = await page.textContent('[data-testid=transfer-error]');
    expect(atHalf).toBe(`measured: transfer: inheritance ratio α = 0.5, ${(100 * Number(single)).toFixed(2)} %`);
    // The finished page (run and α-curve) as a test artifact.
    await page.locator('header').scrollIntoViewIfNeeded();
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'web-explorer.png'), fullPage: true });
  });

  it('stays responsive while training, and a run can be cancelled', async () => {
    await page.selectOption('[data-testid=preset]', 'positive-transfer');
    await page.fill('[data-testid=field-steps]', '200000');
    await page.click('[data-testid=run]');
    await page.getByTestId('status').filter({ hasText: /step \d+ of 200000/ }).waitFor();
    // Round trips to the page and the main thread's timer lag, over one second of training.
    const trips: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await page.evaluate(() => performance.now());
      trips.push(performance.now() - t0);
    }
    const worstLag = await page.evaluate(
      () =>
        new Promise<number>((done) => {
          let last = performance.now();
          let worst = 0;
          const end = last + 1000;
          const tick = () => {
            const now = performance.now();
            worst = Math.max(worst, now - last);
            last = now;
            if (now < end) setTimeout(tick, 10);
            else done(worst);
          };
          setTimeout(tick, 10);
        }),
    );
    // Training on the main thread would block both for the whole run (tens of seconds at 200000 steps); the bounds
    // leave room for a busy 2-core machine.
    expect(Math.max(...trips)).toBeLessThan(500);
    expect(worstLag).toBeLessThan(300);
    expect(await page.textContent('[data-testid=run]')).toBe('Running…');
    expect(await page.isDisabled('[data-testid=field-alpha]')).toBe(true);

    await page.click('[data-testid=cancel]');
    expect(await page.textContent('[data-testid=status]')).toBe('Run cancelled.');
    expect(await page.textContent('[data-testid=transfer-error]')).toBe('—');
    expect(await page.isEnabled('[data-testid=run]')).toBe(true);
    await page.fill('[data-testid=field-steps]', '300');
  });

  it('shows the schema’s message for bad input and disables Run', async () => {
    const message = (key: keyof typeof experimentShape, v: unknown) => {
      const r = experimentShape[key].safeParse(v);
      if (r.success) throw new Error(`${key}=${String(v)} is valid`);
      return r.error.issues[0].message;
    };
    for (const bad of ['1.5', 'abc', '']) {
      await page.fill('[data-testid=field-alpha]', bad);
      expect(await page.isDisabled('[data-testid=run]'), bad).toBe(true);
      expect(await page.textContent('[data-testid=field-alpha-error]')).toBe(message('alpha', 1.5));
    }
    expect(await page.getAttribute('[data-testid=field-alpha]', 'aria-invalid')).toBe('true');
    await page.fill('[data-testid=field-alpha]', '0.25');
    expect(await page.isEnabled('[data-testid=run]')).toBe(true);
    expect(await page.textContent('[data-testid=field-alpha-error]')).toBe('');
    // A rule across fields: d must leave room for u, v₁, v₂ and noise.
    const dMessage = 'must be an integer in [4, 10000000]: the non-zero directions among u, v₁, v₂ take 3, noise at least 1 more';
    await page.fill('[data-testid=field-d]', '3');
    expect(await page.isDisabled('[data-testid=run]')).toBe(true);
    expect(await page.textContent('[data-testid=field-d-error]')).toBe(dMessage);
    // one message for every bad d, the CLI's (not the plain [2, 10⁷] range and then another bound)
    await page.fill('[data-testid=field-d]', '1');
    expect(await page.textContent('[data-testid=field-d-error]')).toBe(dMessage);
    await page.fill('[data-testid=field-n1]', '2.5');
    expect(await page.textContent('[data-testid=field-n1-error]')).toBe(message('n1', 2.5));
    await page.fill('[data-testid=field-d]', '200');
    await page.fill('[data-testid=field-n1]', '200');
    expect(await page.isEnabled('[data-testid=run]')).toBe(true);
  });

  it('shows the advisor’s recommendation and reason in the Theory panel, as `paratransfer advise` gives it', async () => {
    await page.selectOption('[data-testid=preset]', 'no-shared-signal');
    const advice = page.getByTestId('advice');
    await advice.filter({ hasText: /^Advice: / }).waitFor({ timeout: 60_000 });
    const text = (await advice.textContent())!;
    const cli = await runCli(['advise', 'no-shared-signal', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const a = JSON.parse(cli.stdout) as { decision: string; recommendedAlpha: number; reason: string };
    expect(text).toContain(a.decision === 'transfer' ? `Advice: transfer with α = ${a.recommendedAlpha}` : 'Advice: train from scratch');
    expect(text).toContain(a.reason);
    await page.selectOption('[data-testid=preset]', 'positive-transfer');
    await advice.filter({ hasText: /^Advice: transfer with α = / }).waitFor({ timeout: 60_000 });
    expect(await advice.textContent()).toMatch(/Dominant term of the inherited filters: shared signal/);
  });

  it('made no request outside its own server and logged no errors', () => {
    const origin = server.url.replace(/\/$/, '');
    const outside = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!haveChromium)('the results view on a served sweep', () => {
  let server: Served;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'pt-web-sweep-'));
    const spec = join(work, 'spec.yaml');
    writeFileSync(
      spec,
      `name: web-check
base: positive-transfer
set: { d: 120, n1: 40, n2: 12, nTest: 200, m: 6, steps: 40, checkpoints: 3 }
grid:
  alpha: [0, 0.5, 1]
  uNorm: [0.3, 2]
seeds: 2
`,
    );
    dir = join(work, 'out');
    const r = await runCli(['sweep', spec, '--out', dir, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    server = await serve(['--results', dir]);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serves the sweep’s export, exactly as `paratransfer results --format json`', async () => {
    const served = await rawGet(server.port, '/results.json');
    const cli = await runCli(['results', '--columns', 'all', dir, '--format', 'json']);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(served.body).toBe(cli.stdout);
  });

  it('opens it and draws the factor figures and the phase diagram', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}#results`);
    await page.getByTestId('results-points').filter({ hasText: /^6$/ }).waitFor();
    expect(await page.textContent('[data-testid=results-status]')).toBe('Opened out: 12 rows, 6 grid points.');
    // 3 × 2 cells, each with its tooltip, plus the theory's boundary line.
    expect(await page.locator('[data-testid=phase-chart] svg rect title').count()).toBe(6);
    // The first varied factor (‖u‖, two values) at the middle α: transfer and scratch markers.
    expect(await page.locator('[data-testid=factor-error-chart] svg circle').count()).toBe(4);
    expect(await page.textContent('[data-testid=results-agreement]')).toMatch(/^\d+ of \d+ points \(\d+\.\d\d %\)|^no point/);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'web-results.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
