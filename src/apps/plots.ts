/** Small self-contained SVG charts for evaluation reports (no plotting dependency). */

export interface Series {
  name: string;
  values: number[];
}

const W = 520;
const H = 320;
const M = { left: 56, right: 130, top: 34, bottom: 46 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Text for SVG or HTML markup. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number) => (Math.abs(x) >= 10 || Number.isInteger(x) ? x.toFixed(0) : x.toFixed(2));

function frame(title: string, xLabel: string, yLabel: string, yMax: number, body: string, legend: readonly string[]): string {
  const plotH = H - M.top - M.bottom;
  const ticks = Array.from({ length: 5 }, (_, i) => (yMax * i) / 4);
  const grid = ticks
    .map((t) => {
      const y = M.top + plotH - (t / yMax) * plotH;
      return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`;
    })
    .join('');
  const keys = legend
    .map((name, i) => `<rect x="${W - M.right + 12}" y="${M.top + i * 18}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${W - M.right + 30}" y="${M.top + i * 18 + 10}" font-size="11">${esc(name)}</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    grid,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
    body,
    keys,
    '</svg>',
  ].join('\n');
}

/** Lines over numeric x positions (e.g. success rate against the relaxation radius r). */
export function lineChart(opts: { title: string; xLabel: string; yLabel: string; x: number[]; series: Series[]; yMax?: number }): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const yMax = opts.yMax ?? Math.max(1e-9, ...opts.series.flatMap((s) => s.values.filter(Number.isFinite))) * 1.1;
  const [x0, x1] = [Math.min(...opts.x), Math.max(...opts.x)];
  const px = (x: number) => M.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const py = (y: number) => M.top + plotH - (y / yMax) * plotH;
  const xTicks = opts.x.map((x) => `<text x="${px(x)}" y="${M.top + plotH + 16}" text-anchor="middle" font-size="11">${fmt(x)}</text>`).join('');
  const lines = opts.series
    .map((s, i) => {
      const color = COLORS[i % COLORS.length];
      const pts = s.values.map((v, k) => [px(opts.x[k]!), py(v)] as const).filter(([, y]) => Number.isFinite(y));
      const path = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
      return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>` + pts.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`).join('');
    })
    .join('');
  return frame(opts.title, opts.xLabel, opts.yLabel, yMax, xTicks + lines, opts.series.map((s) => s.name));
}

/** Grouped bars over categories (e.g. acceptance per action-token position, one bar per decoder). */
export function barChart(opts: { title: string; xLabel: string; yLabel: string; categories: string[]; series: Series[]; yMax?: number }): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const yMax = opts.yMax ?? Math.max(1e-9, ...opts.series.flatMap((s) => s.values)) * 1.1;
  const groupW = plotW / opts.categories.length;
  const barW = (groupW * 0.8) / Math.max(1, opts.series.length);
  const bars = opts.series
    .map((s, i) =>
      s.values
        .map((v, c) => {
          const h = (Math.max(0, v) / yMax) * plotH;
          return `<rect class="bar" x="${(M.left + c * groupW + groupW * 0.1 + i * barW).toFixed(1)}" y="${(M.top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`;
        })
        .join(''),
    )
    .join('');
  const labels = opts.categories.map((c, k) => `<text x="${(M.left + (k + 0.5) * groupW).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle" font-size="11">${esc(c)}</text>`).join('');
  return frame(opts.title, opts.xLabel, opts.yLabel, yMax, bars + labels, opts.series.map((s) => s.name));
}
