/**
 * Two small inline-SVG charts for the torture report — no scripts, no
 * external assets: horizontal bars (iterations per scenario) and lines over
 * time on a log scale (cumulative iterations per scenario).
 */

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Distinct, print-safe colours for series. */
export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#393b79',
  '#637939',
  '#843c39',
  '#7b4173',
] as const;

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  /** Shown after the value, e.g. "(skipped)". */
  readonly note?: string;
}

const FONT = 'font-family="system-ui, sans-serif" font-size="12"';

export function barChartSvg(bars: readonly Bar[], title: string): string {
  const labelWidth = 190;
  const width = 760;
  const barArea = width - labelWidth - 150;
  const rowHeight = 22;
  const height = 30 + bars.length * rowHeight + 10;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rows = bars.map((b, i) => {
    const y = 30 + i * rowHeight;
    const w = b.value > 0 ? Math.max(1, (b.value / max) * barArea) : 0;
    const text = `${b.value.toLocaleString('en-US')}${b.note ? ` ${b.note}` : ''}`;
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" ${FONT}>${escapeXml(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${b.color}"><title>${escapeXml(`${b.label}: ${text}`)}</title></rect>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}" ${FONT}>${escapeXml(text)}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    `<text x="0" y="16" ${FONT} font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    '</svg>',
  ].join('\n');
}

export interface Series {
  readonly label: string;
  readonly color: string;
  /** [x, y] with x ascending. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** Lines on a log10(1 + y) scale; x is seconds. */
export function lineChartSvg(series: readonly Series[], title: string): string {
  const width = 760;
  const left = 60;
  const right = 200;
  const top = 30;
  const plotHeight = 240;
  const bottom = 40;
  const height = top + plotHeight + bottom;
  const plotWidth = width - left - right;
  const xMax = Math.max(1e-3, ...series.flatMap((s) => s.points.map(([x]) => x)));
  const yMaxRaw = Math.max(1, ...series.flatMap((s) => s.points.map(([, y]) => y)));
  const decades = Math.max(1, Math.ceil(Math.log10(1 + yMaxRaw)));
  const px = (x: number): number => left + (x / xMax) * plotWidth;
  const py = (y: number): number =>
    top + plotHeight - (Math.log10(1 + Math.max(0, y)) / decades) * plotHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    `<text x="0" y="16" ${FONT} font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  ];
  for (let d = 0; d <= decades; d++) {
    const v = d === 0 ? 0 : 10 ** d;
    if (Math.log10(1 + v) > decades) continue;
    const y = py(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" ${FONT}>${v.toLocaleString('en-US')}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const x = (xMax * i) / 4;
    out.push(
      `<text x="${px(x).toFixed(1)}" y="${top + plotHeight + 16}" text-anchor="middle" ${FONT}>${formatSeconds(x)}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle" ${FONT}>elapsed time (iterations on a log scale)</text>`,
  );
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(
      `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"><title>${escapeXml(s.label)}</title></polyline>`,
    );
    const ly = top + 8 + i * 18;
    out.push(`<rect x="${left + plotWidth + 12}" y="${ly}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${left + plotWidth + 30}" y="${ly + 10}" ${FONT}>${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
