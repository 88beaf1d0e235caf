// The two traffic charts (uPlot: canvas, no dependencies). Created once, then fed new data.
import uPlot from './vendor/uPlot.esm.js';

const HEIGHT = 180;
const HOUR_SECONDS = 3600;

export class TrafficCharts {
  constructor(requestsFigure, hitRatioFigure) {
    this.requests = chart(requestsFigure, 'req/s', '#2e6bd8', {});
    this.hitRatio = chart(hitRatioFigure, 'hit ratio', '#12805c', { range: [0, 1] });
    this.figures = [requestsFigure, hitRatioFigure];
  }

  /** `samples`: [{ time, requestsPerSecond, cacheHitRatio }] oldest first. */
  update(samples) {
    const times = samples.map((s) => Date.parse(s.time) / 1000);
    this.requests.setData([times, samples.map((s) => s.requestsPerSecond)]);
    this.hitRatio.setData([times, samples.map((s) => s.cacheHitRatio)]);
    for (const figure of this.figures) figure.dataset.points = String(samples.length);
  }

  resize() {
    for (const [plot, figure] of [[this.requests, this.figures[0]], [this.hitRatio, this.figures[1]]]) {
      plot.setSize({ width: widthOf(figure), height: HEIGHT });
    }
  }
}

function chart(figure, label, color, scale) {
  return new uPlot({
    width: widthOf(figure),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    // Always the last hour, however few buckets there are yet.
    scales: { x: { time: true, range: (_u, _min, max) => [max - HOUR_SECONDS, max] }, y: scale.range ? { range: scale.range } : { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    series: [{}, { label, stroke: color, width: 2, fill: `${color}22`, spanGaps: false }],
    axes: [{ stroke: '#667085' }, { stroke: '#667085', size: 48 }],
  }, [[], []], figure);
}

function widthOf(figure) {
  return Math.max(240, figure.clientWidth || 480);
}
