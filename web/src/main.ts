/** Entry point: the two views, the tab switch (URL hash), and a sweep export served next to the app. */
import { startExplorer } from './explorer.js';
import { escapeHtml } from './format.js';
import { ResultsView } from './results.js';
import { ExportError, loadSweep } from './sweep-data.js';

declare const __PARATRANSFER_VERSION__: string;

const $ = (id: string) => document.getElementById(id)!;
$('version').textContent = __PARATRANSFER_VERSION__;

function showView(): void {
  const view = location.hash === '#results' ? 'results' : 'explorer';
  for (const v of ['explorer', 'results']) {
    $(`view-${v}`).hidden = v !== view;
    $(`tab-${v}`).setAttribute('aria-selected', String(v === view));
  }
}
window.addEventListener('hashchange', showView);
showView();

startExplorer((engine, kernels) => ($('engine').textContent = `${engine} (${kernels})`));

const results = new ResultsView($('results-body'));
const status = $('results-status');

function openExport(text: string, source: string): void {
  try {
    const sweep = loadSweep(text);
    results.show(sweep, source);
    status.classList.remove('error');
    status.textContent = `Opened ${source}: ${sweep.rows} rows, ${sweep.points.length} grid points.`;
  } catch (e) {
    if (!(e instanceof ExportError)) throw e;
    status.classList.add('error');
    status.innerHTML = `${escapeHtml(source)}: ${escapeHtml(e.message)}`;
  }
}

const fileInput = $('results-file') as HTMLInputElement;
fileInput.addEventListener('change', async () => {
  const file = fileInput.files?.[0];
  if (file) openExport(await file.text(), file.name);
});

// Drop a file anywhere on the results view.
const view = $('view-results');
view.addEventListener('dragover', (e) => {
  e.preventDefault();
  view.classList.add('dropping');
});
view.addEventListener('dragleave', () => view.classList.remove('dropping'));
view.addEventListener('drop', async (e) => {
  e.preventDefault();
  view.classList.remove('dropping');
  const file = e.dataTransfer?.files[0];
  if (file) openExport(await file.text(), file.name);
});

// `paratransfer serve --results DIR` serves that sweep's export next to the app (204 when it has none).
fetch('results.json', { cache: 'no-store' })
  .then(async (r) => {
    if (r.status === 200) openExport(await r.text(), decodeURIComponent(r.headers.get('x-paratransfer-source') ?? 'results.json'));
  })
  .catch(() => {
    /* opened as static files without a server: nothing to load */
  });
