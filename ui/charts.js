// The two traffic charts (uPlot: canvas, no dependencies). Created once, then fed new data.
import uPlot from './vendor/uPlot.esm.js';

const HEIGHT = 180;
const HOUR_SECONDS = 3600;
/** Room right of the newest bucket, so that its point is drawn whole. */
const PAD_SECONDS = 30;

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
    scales: { x: { time: true, range: lastHour }, y: scale.range ? { range: scale.range } : { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    series: [{}, { label, stroke: color, width: 2, fill: `${color}22`, spanGaps: false, points: { show: true, size: 5 } }],
    axes: [{ stroke: '#667085', space: 50, values: (_u, ticks) => ticks.map(clockTime) }, { stroke: '#667085', size: 48 }],
  }, [[], []], figure);
}

/**
 * The hour up to the newest bucket. From the data itself: for a single point uPlot hands the range
 * function a widened max (days away).
 */
function lastHour(u) {
  const times = u.data[0];
  const newest = times.length > 0 ? times[times.length - 1] : Date.now() / 1000;
  return [newest - HOUR_SECONDS, newest + PAD_SECONDS];
}

/** Ticks as local time of day: the window is one hour, the date says nothing. */
function clockTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

function widthOf(figure) {
  return Math.max(240, figure.clientWidth || 480);
}
