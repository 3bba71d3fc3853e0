/**
 * A small strip chart as hand-written SVG (no dependency, no script, no external font or CSS, so
 * GitHub shows it as an image): a grid of panels, rows and columns named, each panel one strip per
 * series on a shared log axis. A strip shows every sample as a tick, the middle half as a box and
 * the median as a thick bar with its value; a panel may add a dashed reference line. White
 * background, every word a <text>, coordinates rounded to 0.1 px to keep the file small.
 */

export interface Series {
  label: string;
  color: string;
}

export interface Panel {
  /** Samples per series, in the order of `series`; an empty list draws nothing. */
  samples: number[][];
  reference?: { value: number; label: string };
}

export interface StripChart {
  title: string;
  columns: string[];
  rows: string[];
  series: Series[];
  /** panels[row][column] */
  panels: Panel[][];
  /** What the dashed reference line means, for the legend. */
  referenceLegend?: string;
}

const WIDTH = 880;
const LABEL_W = 120; // the series names, left of the first column
const GAP = 30;
const PAD = 10;
const RIGHT = 24; // room for the last panel's last tick label
const STRIP_H = 20;
const TITLE_H = 26;
const COLUMN_H = 20;
const ROW_H = 22;
const AXIS_H = 22;
const LEGEND_H = 30;
const TICK_LABEL_MIN_PX = 26; // tick labels closer than this would overlap

const r1 = (v: number): string => String(Math.round(v * 10) / 10);
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = ''): string => `<text x="${r1(x)}" y="${r1(y)}"${attrs}>${escape(s)}</text>`;

/** The sample at quantile q, picked as spec/harness/yardstick.ts's median() picks (q = 0.5 gives the same). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** 1, 2, 5, 10, 20, 50, ... from below `lo` to above `hi`. */
function niceSteps(lo: number, hi: number): number[] {
  const steps: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) steps.push(Number((m * 10 ** e).toPrecision(1)));
  }
  const first = steps.filter((s) => s <= lo).pop() ?? steps[0]!;
  const last = steps.find((s) => s >= hi) ?? steps[steps.length - 1]!;
  return steps.filter((s) => s >= first && s <= last);
}

/** Which ticks get a label: every power of ten, then fives and twos where they fit. */
function labelled(ticks: readonly number[], px: (v: number) => number): Set<number> {
  const lead = (v: number): string => v.toExponential().charAt(0); // 1, 2 or 5
  const chosen = new Set(ticks.filter((v) => lead(v) === '1'));
  if (chosen.size === 0) chosen.add(ticks[0]!);
  for (const digit of ['5', '2']) {
    for (const t of ticks.filter((v) => lead(v) === digit)) {
      if ([...chosen].every((c) => Math.abs(px(c) - px(t)) >= TICK_LABEL_MIN_PX)) chosen.add(t);
    }
  }
  return chosen;
}

const fmt = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));

export function stripChartSvg(chart: StripChart): string {
  const { columns, rows, series, panels } = chart;
  const all = panels.flat(2).flatMap((panel) => panel.samples.flat().concat(panel.reference ? [panel.reference.value] : []));
  const positive = all.filter((v) => v > 0 && Number.isFinite(v));
  const ticks = niceSteps(Math.min(...positive, 1), Math.max(...positive, 10));
  const [lo, hi] = [Math.log10(ticks[0]!), Math.log10(ticks[ticks.length - 1]!)];
  const panelW = (WIDTH - LABEL_W - RIGHT - GAP * (columns.length - 1)) / columns.length;
  const blockH = ROW_H + series.length * STRIP_H + AXIS_H;
  const height = TITLE_H + COLUMN_H + rows.length * blockH + LEGEND_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(PAD, 18, chart.title, ' font-size="13" font-weight="bold"'),
  ];
  columns.forEach((name, c) => {
    out.push(text(LABEL_W + c * (panelW + GAP) + panelW / 2, TITLE_H + 14, name, ' text-anchor="middle" font-weight="bold"'));
  });
  rows.forEach((rowName, r) => {
    const top = TITLE_H + COLUMN_H + r * blockH;
    const y0 = top + ROW_H; // first strip
    const y1 = y0 + series.length * STRIP_H; // below the last
    out.push(text(PAD, top + 15, rowName, ' font-weight="bold" fill="#333"'));
    series.forEach((s, i) =>
      out.push(text(LABEL_W - 8, y0 + i * STRIP_H + STRIP_H / 2 + 4, s.label, ` text-anchor="end" fill="${s.color}"`)),
    );
    columns.forEach((_name, c) => {
      const x0 = LABEL_W + c * (panelW + GAP);
      const x = (v: number): number => x0 + ((Math.log10(Math.max(v, ticks[0]!)) - lo) / (hi - lo)) * panelW;
      const shown = labelled(ticks, x);
      const grid = ticks.map((t) => `M${r1(x(t))} ${r1(y0 - 3)}V${r1(y1)}`).join('');
      out.push(`<path d="${grid}" stroke="#e3e3e3"/>`, `<path d="M${r1(x0)} ${r1(y1)}H${r1(x0 + panelW)}" stroke="#999"/>`);
      for (const t of ticks.filter((v) => shown.has(v)))
        out.push(text(x(t), y1 + 13, String(t), ' text-anchor="middle" font-size="10" fill="#555"'));
      const panel = panels[r]?.[c];
      panel?.samples.forEach((samples, i) => {
        if (samples.length === 0) return;
        const color = series[i]?.color ?? '#000';
        const yc = y0 + i * STRIP_H + STRIP_H / 2;
        const sorted = [...samples].sort((a, b) => a - b);
        const [q1, med, q3] = [quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)];
        out.push(
          `<rect x="${r1(x(q1))}" y="${r1(yc - 6)}" width="${r1(Math.max(1, x(q3) - x(q1)))}" height="12" fill="${color}" fill-opacity="0.15" stroke="${color}"/>`,
          `<path d="${sorted.map((v) => `M${r1(x(v))} ${r1(yc - 5)}v10`).join('')}" stroke="${color}" stroke-opacity="0.55"/>`,
          `<path d="M${r1(x(med))} ${r1(yc - 8)}v16" stroke="${color}" stroke-width="3"/>`,
        );
        // The median's value right of the strip, or left of it when the strip ends at the panel's edge.
        const right = Math.max(x(sorted[sorted.length - 1]!), x(med) + 2) + 4;
        const label =
          right + 28 < x0 + panelW + GAP ? text(right, yc + 4, fmt(med)) : text(x(sorted[0]!) - 4, yc + 4, fmt(med), ' text-anchor="end"');
        // A white outline keeps the value legible where it crosses a grid or reference line.
        out.push(label.replace('<text', `<text font-size="10" fill="${color}" stroke="#fff" stroke-width="3" paint-order="stroke"`));
      });
      if (panel?.reference) {
        const xr = x(panel.reference.value);
        out.push(
          `<path d="M${r1(xr)} ${r1(y0 - 4)}V${r1(y1)}" stroke="#000" stroke-dasharray="3 3"/>`,
          text(xr, y0 - 6, panel.reference.label, ' text-anchor="middle" font-size="10"'),
        );
      }
    });
  });
  const ly = height - LEGEND_H + 18;
  out.push(
    `<path d="M${PAD} ${ly - 9}v10M${PAD + 4} ${ly - 9}v10" stroke="#555"/>`,
    text(PAD + 10, ly, 'one sample'),
    `<rect x="${PAD + 90}" y="${ly - 10}" width="22" height="12" fill="#555" fill-opacity="0.15" stroke="#555"/>`,
    text(PAD + 118, ly, '25th to 75th percentile'),
    `<path d="M${PAD + 262} ${ly - 12}v16" stroke="#555" stroke-width="3"/>`,
    text(PAD + 270, ly, 'median (ms)'),
    ...(chart.referenceLegend
      ? [`<path d="M${PAD + 360} ${ly - 12}v16" stroke="#000" stroke-dasharray="3 3"/>`, text(PAD + 368, ly, chart.referenceLegend)]
      : []),
    '</svg>',
  );
  return out.join('\n') + '\n';
}
