import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.js';

/** A figure on disk: NAME.vl.json (Vega-Lite spec with its data inline), NAME.svg, NAME.png, NAME.csv. */
export interface FigureFiles {
  name: string;
  title: string;
  caption: string;
  svg: string;
  png: Uint8Array;
  csv: string;
  spec: TopLevelSpec;
}

/** Vega-Lite → Vega → SVG headlessly (no canvas, no browser); SVG → PNG with resvg at 2× for print. */
export async function renderFigure(spec: TopLevelSpec): Promise<{ svg: string; png: Uint8Array }> {
  // Warnings would go to the console mid-progress; a spec error still throws.
  const vg = compile(spec, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      background: 'white',
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    })
      .render()
      .asPng();
    return { svg, png: new Uint8Array(png) };
  } finally {
    view.finalize();
  }
}

export async function writeFigure(
  dir: string,
  fig: { name: string; title: string; caption: string; spec: TopLevelSpec; csv: string },
): Promise<FigureFiles> {
  const { svg, png } = await renderFigure(fig.spec);
  writeFileAtomic(join(dir, `${fig.name}.vl.json`), JSON.stringify(fig.spec, null, 2) + '\n');
  writeFileAtomic(join(dir, `${fig.name}.svg`), svg);
  writeFileAtomic(join(dir, `${fig.name}.png`), png);
  writeFileAtomic(join(dir, `${fig.name}.csv`), fig.csv);
  return { ...fig, svg, png };
}
