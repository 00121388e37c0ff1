import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.ts";

export interface ChartSeries {
  label: string;
  values: number[];
  format: (n: number) => string;
}

const PALETTE = ["#4f7df3", "#e8833a", "#2fa37a", "#c2478d", "#8c6be0", "#c9a227"];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/**
 * A time-series line chart (uPlot) sized to its container. `data-points` on the figure says how many
 * points it plots, so a reader (and the browser test) can check a chart against the data.
 */
export function lineChart(
  title: string,
  xs: number[],
  series: ChartSeries[],
  /** One y axis for every series (groups of one metric) instead of a second axis for the second series. */
  sharedScale = false,
): HTMLElement {
  const secondAxis = series.length > 1 && !sharedScale;
  const plot = h("div", { class: "chart-canvas" });
  const figure = h(
    "figure",
    { class: "chart", "data-points": xs.length, "aria-label": `${title}: ${xs.length} points` },
    h("figcaption", null, title),
    plot,
  );
  const axisColor = cssVar("--muted");
  const gridColor = cssVar("--grid");
  const build = () => {
    const width = Math.max(plot.clientWidth, 280);
    const opts: uPlot.Options = {
      width,
      height: 220,
      ms: 1,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true },
      series: [
        { label: "time" },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          points: { show: xs.length <= 60 },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : s.format(v)),
          scale: i === 0 || !secondAxis ? "y" : "y2",
        })),
      ],
      scales: { x: { time: true } },
      axes: [
        { stroke: axisColor, grid: { stroke: gridColor } },
        {
          stroke: axisColor,
          grid: { stroke: gridColor },
          scale: "y",
          values: (_u, v) => v.map((n) => series[0]?.format(n) ?? String(n)),
          size: 70,
        },
        ...(secondAxis
          ? [
              {
                stroke: axisColor,
                grid: { show: false },
                side: 1 as const,
                scale: "y2",
                values: (_u: uPlot, v: number[]) => v.map((n) => series[1]?.format(n) ?? String(n)),
                size: 60,
              },
            ]
          : []),
      ],
    };
    plot.replaceChildren();
    new uPlot(opts, [xs, ...series.map((s) => s.values)], plot);
  };
  // uPlot needs the container's width: draw once the figure is in the document, redraw on resize.
  let lastWidth = 0;
  const observer = new ResizeObserver(() => {
    if (!plot.isConnected) {
      observer.disconnect();
      return;
    }
    if (Math.abs(plot.clientWidth - lastWidth) < 8) return;
    lastWidth = plot.clientWidth;
    build();
  });
  observer.observe(plot);
  return figure;
}
