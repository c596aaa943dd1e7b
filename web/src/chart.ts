/** A small line chart on a canvas: loss (left axis) and accuracy (right axis, 0-1) against steps. */
export interface Series {
  label: string;
  colour: string;
  points: [number, number][];
  /** 'left': scaled to the data; 'right': fixed 0-1. */
  axis: 'left' | 'right';
}

export function drawChart(canvas: HTMLCanvasElement, series: Series[], maxX: number): void {
  const g = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const pad = { l: 48, r: 48, t: 16, b: 28 };
  g.clearRect(0, 0, w, h);
  g.font = '12px system-ui, sans-serif';
  g.strokeStyle = '#d0d5dd';
  g.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  const left = series.filter((s) => s.axis === 'left').flatMap((s) => s.points.map((p) => p[1]));
  const maxL = left.length ? Math.max(...left) * 1.05 : 1;
  const x = (v: number) => pad.l + ((w - pad.l - pad.r) * v) / Math.max(1, maxX);
  const y = (v: number, axis: Series['axis']) =>
    h - pad.b - ((h - pad.t - pad.b) * v) / (axis === 'left' ? maxL || 1 : 1);
  g.fillStyle = '#667085';
  g.fillText(maxL.toFixed(2), 4, pad.t + 10);
  g.fillText('0', 30, h - pad.b);
  g.fillText('100%', w - pad.r + 6, pad.t + 10);
  g.fillText(`step ${maxX}`, w - pad.r - 50, h - 8);
  series.forEach((s, i) => {
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    g.lineWidth = 2;
    g.beginPath();
    s.points.forEach(([px, py], j) => (j === 0 ? g.moveTo(x(px), y(py, s.axis)) : g.lineTo(x(px), y(py, s.axis))));
    g.stroke();
    g.fillText(s.label, pad.l + 10 + i * 160, pad.t + 14);
  });
}
