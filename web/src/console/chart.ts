// A line chart as inline SVG (elements built in the DOM: no inline style, no library).
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#2d3a8c", "#c8743a", "#d6001c", "#2f8a4c", "#7a3fa0", "#0f7f8f"];

export interface Series {
  label: string;
  points: { x: string; y: number }[];
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** One line per series over the union of their x values (dates, sorted). */
export function lineChart(series: Series[], title: string): SVGSVGElement {
  const width = 720;
  const height = 240;
  const pad = { left: 40, right: 110, top: 12, bottom: 28 };
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const sx = (x: string) => pad.left + (xs.length <= 1 ? 0 : (xs.indexOf(x) / (xs.length - 1)) * (width - pad.left - pad.right));
  const sy = (y: number) => height - pad.bottom - (y / maxY) * (height - pad.top - pad.bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "line-chart" }) as SVGSVGElement;
  svg.append(el("title", {}, title));
  svg.append(el("line", { x1: pad.left, y1: sy(0), x2: width - pad.right, y2: sy(0), stroke: "#999" }));
  svg.append(el("text", { x: pad.left - 6, y: sy(maxY) + 4, "text-anchor": "end", "font-size": 11 }, String(maxY)));
  svg.append(el("text", { x: pad.left - 6, y: sy(0) + 4, "text-anchor": "end", "font-size": 11 }, "0"));
  if (xs.length > 0) {
    svg.append(el("text", { x: pad.left, y: height - 8, "font-size": 11 }, xs[0] ?? ""));
    svg.append(el("text", { x: width - pad.right, y: height - 8, "text-anchor": "end", "font-size": 11 }, xs[xs.length - 1] ?? ""));
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? "#000";
    const pts = [...s.points].sort((a, b) => a.x.localeCompare(b.x));
    if (pts.length === 0) return;
    svg.append(el("polyline", { points: pts.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
    for (const p of pts) svg.append(el("circle", { cx: sx(p.x), cy: sy(p.y), r: 3, fill: colour }));
    svg.append(el("text", { x: width - pad.right + 8, y: pad.top + 14 + i * 16, fill: colour, "font-size": 12 }, s.label));
  });
  return svg;
}
