/**
 * The service's health, as the `health_check` extension reports it: the
 * service's phase, and the state of every component that can tell its own
 * (today the `audit_wal` exporters: a WAL that refused appends after an I/O
 * failure is `failed` until the exporter has reopened it). Healthy means:
 * running, and every such component `ok` — i.e. records sent now can be
 * made durable and acknowledged.
 */

/** What a component reports about itself (`AuditWalExporter.health()` is one). */
export interface ComponentHealth {
  readonly state: 'ok' | 'failed' | 'stopped';
  /** Why it is not `ok`, when known. */
  readonly failure?: string;
}

export interface HealthReporter {
  health(): ComponentHealth;
}

export function isHealthReporter(x: unknown): x is HealthReporter {
  return typeof x === 'object' && x !== null && typeof (x as { health?: unknown }).health === 'function';
}

/** `created` (built, not started), `starting`, `running`, `stopping` (shutdown begun), `stopped`. */
export type ServicePhase = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface ServiceHealth {
  readonly healthy: boolean;
  readonly phase: ServicePhase;
  /** Component id → its own report, for the components that give one. */
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

export function summarizeHealth(
  phase: ServicePhase,
  components: ReadonlyMap<string, unknown>,
): ServiceHealth {
  const reports: Record<string, ComponentHealth> = {};
  let allOk = true;
  for (const [id, c] of components) {
    if (!isHealthReporter(c)) continue;
    const h = healthOf(c);
    reports[id] = h;
    if (h.state !== 'ok') allOk = false;
  }
  return { healthy: phase === 'running' && allOk, phase, components: reports };
}

/** A component whose `health()` throws is not known to be healthy: `failed`, with what it threw (the service's phase stays true). */
function healthOf(c: HealthReporter): ComponentHealth {
  try {
    return c.health();
  } catch (err) {
    return {
      state: 'failed',
      failure: `health() threw: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
