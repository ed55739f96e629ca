import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from './metrics.js';

test('Prometheus text format: HELP/TYPE, labels, cumulative buckets with +Inf, _sum and _count', () => {
  const r = new Registry();
  const c = r.add(new Counter('x_requests_total', 'Requests.'));
  const h = r.add(new Histogram('x_seconds', 'Latency.', [0.1, 1]));
  r.add(new Gauge('x_depth', 'Depth.', () => 3));
  c.inc({ route: '/act', status: '200' });
  c.inc({ route: '/act', status: '200' }, 2);
  c.inc({ route: 'a"b\\c', status: '400' });
  for (const v of [0.05, 0.5, 0.5, 7]) h.observe(v, { route: '/act' });
  assert.equal(
    r.render(),
    [
      '# HELP x_requests_total Requests.',
      '# TYPE x_requests_total counter',
      'x_requests_total{route="/act",status="200"} 3',
      'x_requests_total{route="a\\"b\\\\c",status="400"} 1',
      '# HELP x_seconds Latency.',
      '# TYPE x_seconds histogram',
      'x_seconds_bucket{route="/act",le="0.1"} 1',
      'x_seconds_bucket{route="/act",le="1"} 3',
      'x_seconds_bucket{route="/act",le="+Inf"} 4',
      'x_seconds_sum{route="/act"} 8.05',
      'x_seconds_count{route="/act"} 4',
      '# HELP x_depth Depth.',
      '# TYPE x_depth gauge',
      'x_depth 3',
      '',
    ].join('\n'),
  );
});

test('counters only go up, names are unique, buckets increase', () => {
  assert.throws(() => new Counter('c', 'h').inc({}, -1), /only goes up/);
  const r = new Registry();
  r.add(new Counter('c', 'h'));
  assert.throws(() => r.add(new Counter('c', 'h')), /twice/);
  assert.throws(() => new Histogram('h', 'h', [1, 1]), /increase/);
});
