/**
 * A minimal Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with
 * labels, enough for the policy server without another dependency.
 */

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  return v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : Number.isNaN(v) ? 'NaN' : String(v);
}

interface Metric {
  readonly name: string;
  render(): string;
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`${this.name}: a counter only goes up`);
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  render(): string {
    let out = header(this.name, this.help, 'counter');
    for (const [key, v] of this.values) out += `${this.name}${key} ${num(v)}\n`;
    return out;
  }
}

/** A gauge read when scraped. */
export class Gauge implements Metric {
  constructor(readonly name: string, readonly help: string, private readonly read: () => number) {}

  render(): string {
    return `${header(this.name, this.help, 'gauge')}${this.name} ${num(this.read())}\n`;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error(`${name}: buckets must increase`);
  }

  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram');
    for (const [key, s] of this.series) {
      this.buckets.forEach((b, i) => (out += `${this.name}_bucket${labelText({ ...s.labels, le: num(b) })} ${s.counts[i]}\n`));
      out += `${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}\n`;
      out += `${this.name}_sum${key} ${num(s.sum)}\n${this.name}_count${key} ${s.count}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  add<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return this.metrics.map((m) => m.render()).join('');
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the policy server records. */
export interface ServerMetrics {
  registry: Registry;
  requests: Counter;
  errors: Counter;
  latency: Histogram;
  inference: Histogram;
  acceptLength: Histogram;
  targetForwards: Counter;
  tokens: Counter;
}

export function createServerMetrics(queue: { depth: number; running: boolean }): ServerMetrics {
  const registry = new Registry();
  const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  registry.add(new Gauge('specvla_queue_depth', 'Requests waiting for the model.', () => queue.depth));
  registry.add(new Gauge('specvla_queue_busy', '1 while the model is running a request.', () => (queue.running ? 1 : 0)));
  registry.add(new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss()));
  registry.add(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.', () => process.memoryUsage().heapUsed));
  return {
    registry,
    requests: registry.add(new Counter('specvla_http_requests_total', 'HTTP requests answered, by route and status code.')),
    errors: registry.add(new Counter('specvla_http_errors_total', 'Requests answered with an error, by error code.')),
    latency: registry.add(new Histogram('specvla_request_duration_seconds', 'Time from request arrival to response for /act and /v1/act, queueing included.', latencyBuckets)),
    inference: registry.add(new Histogram('specvla_inference_duration_seconds', 'Time the policy spent on one prediction.', latencyBuckets)),
    acceptLength: registry.add(new Histogram('specvla_accept_length', 'Accept length per prediction: action tokens per target forward (plain decoding: 1).', [1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7])),
    targetForwards: registry.add(new Counter('specvla_target_forwards_total', 'Target model forwards, prefills included.')),
    tokens: registry.add(new Counter('specvla_action_tokens_total', 'Action tokens produced.')),
  };
}
