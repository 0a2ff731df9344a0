import { Resvg } from '@resvg/resvg-js';
import { chartSvg } from '../core/chart-svg.ts';
import type { Chart } from '../core/uptime.ts';

/**
 * The chart as a PNG for chat, drawn from the same SVG the status page shows. resvg renders it
 * in the process: its binary ships inside an npm package per platform, so nothing is compiled or
 * downloaded at install time. Text uses the machine's fonts (DejaVu Sans where present); with no
 * fonts at all the picture still draws, without its labels.
 */
export function chartPng(chart: Chart): Uint8Array {
  const svg = chartSvg(chart, { width: 720, height: 300, background: '#ffffff', text: '#1d2125' });
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: 1_440 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return resvg.render().asPng();
}
