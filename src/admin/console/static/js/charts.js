// Small inline SVG charts of a connector's last hour (12 five-minute buckets).
import { el, svg } from './dom.js';

const W = 96;
const H = 24;

/** Bars of the success rate per bucket: green all good, amber some failed, red most failed, grey none. */
export function successChart(hour) {
  const step = W / hour.buckets.length;
  const bars = hour.buckets.map((b, i) => {
    const rate = b.attempts === 0 ? null : b.succeeded / b.attempts;
    const kind = rate === null ? 'none' : rate >= 0.99 ? 'good' : rate >= 0.5 ? 'mixed' : 'bad';
    const height = rate === null ? 2 : Math.max(2, rate * H);
    return svg('rect', { x: i * step + 1, y: H - height, width: step - 2, height, class: `bar-${kind}` }, [
      svg('title', {}, [document.createTextNode(`${b.attempts ? Math.round(rate * 100) : '–'}% of ${b.attempts}`)]),
    ]);
  });
  const text = hour.successRate === null ? 'no attempts' : `${percent(hour.successRate)} of ${hour.attempts}`;
  return chart('success', bars, text);
}

/** Lines of p50 (blue) and p95 (amber) per bucket, on a scale from 0 to the hour's highest p95. */
export function latencyChart(hour) {
  const top = Math.max(1, ...hour.buckets.map((b) => b.p95Ms || 0));
  const step = (W - 4) / (hour.buckets.length - 1);
  const y = (value) => (H - 2 - (value / top) * (H - 4)).toFixed(1);
  // A line through the buckets that have attempts, and a dot on each (one bucket alone is a dot).
  const line = (key, className) => {
    const points = hour.buckets
      .map((b, i) => (b[key] === null ? null : [(2 + i * step).toFixed(1), y(b[key])]))
      .filter(Boolean);
    const dots = points.map(([x, py]) => svg('circle', { cx: x, cy: py, r: 1.8, class: `${className}-dot` }));
    const path =
      points.length > 1
        ? svg('polyline', { points: points.map((p) => p.join(',')).join(' '), class: className })
        : null;
    return [path, ...dots];
  };
  const text = hour.p50Ms === null ? '–' : `${ms(hour.p50Ms)} / ${ms(hour.p95Ms)}`;
  return chart('latency', [...line('p50Ms', 'line-p50'), ...line('p95Ms', 'line-p95')], text);
}

function chart(kind, children, text) {
  const image = svg(
    'svg',
    { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${kind}: ${text}` },
    children,
  );
  return el('div', { className: `chart ${kind}` }, [image, el('span', { text })]);
}

const percent = (rate) => `${Math.round(rate * 1000) / 10}%`;
const ms = (value) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value} ms`);
