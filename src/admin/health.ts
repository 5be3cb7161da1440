import type { Connector } from '../sdk/connector.ts';
import { iso } from './views.ts';

const HEALTH_TIMEOUT_MS = 3_000;
const HEALTH_FRESH_MS = 15_000;

export interface HealthJson {
  /** `idle`: the connector has no health probe and made no attempt lately, so nothing is known. */
  readonly status: 'ok' | 'failing' | 'idle';
  /** `probe`: the connector's own healthcheck; `deliveries`: its recent attempts (it has no probe). */
  readonly source: 'probe' | 'deliveries';
  readonly checkedAt: string;
  readonly durationMs?: number;
  readonly detail?: string;
  /** The probe's error (what `detail` says, under the name it had before `detail`). @deprecated use `detail` */
  readonly error?: string;
}

/** Recent attempts of one connector, for connectors without a probe. */
export interface RecentAttempts {
  readonly windowSeconds: number;
  readonly attempts: number;
  readonly failed: number;
  readonly lastError?: string | undefined;
}

/** Health of connector instances, probed at most every HEALTH_FRESH_MS (the console polls). */
export class HealthCache {
  private readonly results = new WeakMap<Connector, { at: number; result: Promise<HealthJson> }>();

  check(
    connector: Connector,
    recent: RecentAttempts,
    refresh: boolean,
    clean: (text: string) => string,
  ): Promise<HealthJson> {
    if (!connector.healthcheck) return Promise.resolve(fromDeliveries(recent));
    const cached = this.results.get(connector);
    if (cached && !refresh && Date.now() - cached.at < HEALTH_FRESH_MS) return cached.result;
    const started = Date.now();
    const result = connector.healthcheck(AbortSignal.timeout(HEALTH_TIMEOUT_MS)).then(
      (): HealthJson => ({ status: 'ok', source: 'probe', checkedAt: iso(started), durationMs: Date.now() - started }),
      (error: unknown): HealthJson => {
        const detail = clean(error instanceof Error ? error.message : String(error));
        return {
          status: 'failing',
          source: 'probe',
          checkedAt: iso(started),
          durationMs: Date.now() - started,
          detail,
          error: detail,
        };
      },
    );
    this.results.set(connector, { at: started, result });
    return result;
  }
}

/** No probe: judge by what its deliveries met lately, and say that this is the basis. */
function fromDeliveries(recent: RecentAttempts): HealthJson {
  const minutes = Math.round(recent.windowSeconds / 60);
  const base = { source: 'deliveries' as const, checkedAt: iso(Date.now()) };
  if (recent.attempts === 0)
    return { ...base, status: 'idle', detail: `no probe; no attempt in the last ${minutes} min` };
  const detail = `${recent.failed} of ${recent.attempts} attempts in the last ${minutes} min failed`;
  if (isFailing(recent))
    return { ...base, status: 'failing', detail: recent.lastError ? `${detail}: ${recent.lastError}` : detail };
  return { ...base, status: 'ok', detail };
}

/** "Failing": most of the recent attempts failed (one flake among many successes is not). */
export function isFailing(recent: RecentAttempts): boolean {
  return recent.attempts > 0 && recent.failed * 2 > recent.attempts;
}
