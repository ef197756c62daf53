/**
 * The running service: every configured component created once (a component
 * id used by several pipelines is one instance, as in the Collector), wired
 * into pipelines, started in dependency order (extensions, exporters,
 * processors, receivers) and shut down in reverse, so receivers stop
 * accepting before exporters make the last records durable.
 */
import type { ResolvedComponent, ResolvedConfig } from '../../config/ResolvedConfig.ts';
import { OtelAuditError } from '../errors.ts';
import { FanOutConsumer, PipelineConsumer } from './PipelineConsumer.ts';
import type { LogsConsumer } from './consumer.ts';
import type {
  ComponentLogger,
  CreateSettings,
  Extension,
  LogsExporter,
  ProcessorFactory,
  Receiver,
  ReceiverFactory,
  ExporterFactory,
  ExtensionFactory,
} from './factories.ts';
import { deadlineClockMs, DEFAULT_SHUTDOWN_DEADLINE_MS } from './lifecycle.ts';
import { summarizeHealth, type ServiceHealth, type ServicePhase } from './health.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import { isWalStageHost, isWalStageProcessor } from './WalStage.ts';
import type { FactoryRegistry } from './registry.ts';

export interface ServiceOptions {
  readonly config: ResolvedConfig;
  readonly registry: FactoryRegistry;
  readonly baseDir?: string;
  readonly logger?: ComponentLogger;
  /** Receiver types not to create (the in-process API uses the pipelines but runs no network receivers). */
  readonly skipReceivers?: boolean;
  /** Build only these pipelines and the components they use (default: all). */
  readonly onlyPipelines?: readonly string[];
}

export const consoleLogger: ComponentLogger = {
  info: (m) => console.error(`info  ${m}`),
  warn: (m) => console.error(`warn  ${m}`),
  error: (m) => console.error(`error ${m}`),
};

export class Service {
  readonly pipelines = new Map<string, PipelineConsumer>();
  readonly exporters = new Map<string, LogsExporter>();
  readonly receivers = new Map<string, Receiver>();
  readonly extensions = new Map<string, Extension>();
  readonly processors = new Map<string, RecordProcessor>();
  private phase: ServicePhase = 'created';
  private stopRequested = false;
  /** `start()`'s outcome: starting runs once. */
  private started: Promise<void> | undefined;
  /** Settles (never rejects) once `start()` has stopped starting components. */
  private startEnded: Promise<void> | undefined;
  /** The shutdown work (`doShutdown`): runs once, for the first `shutdown()` or for a failed start. */
  private shutdownWork: Promise<void> | undefined;
  /** What every `shutdown()` call returns: the work, bounded by the earliest deadline asked for. */
  private stopped: Promise<void> | undefined;
  /** When the shutdown must be done (deadlineClockMs() ms): the earliest deadline of the `shutdown()` calls. */
  private endsAt = Infinity;
  /** Whether a `shutdown()` call set `endsAt` (Infinity included: no deadline). */
  private deadlineAsked = false;
  /** Timers that depend on `endsAt`: re-armed when a `shutdown()` call brings it forward. */
  private readonly endTimers = new Set<MovableTimer>();
  /** The components shutting down now, and the budget their stage gives them (read again when `endsAt` moves). */
  private runningStage: { readonly pending: Set<Stoppable>; readonly budgetMs: () => number } | undefined;

  private constructor() {}

  /** Creates every component of `config`; throws `PIPELINE_BUILD` for what the config layer cannot see. */
  static build(o: ServiceOptions): Service {
    const s = new Service();
    const logger = o.logger ?? consoleLogger;
    const settings = (id: string): CreateSettings => ({
      id,
      baseDir: o.baseDir ?? process.cwd(),
      logger,
      extension: (ext) => s.extensions.get(ext),
      serviceHealth: () => s.health(),
    });
    const factory = <F>(c: ResolvedComponent): F => {
      const f = o.registry.find(c.kind, c.type);
      if (!f) throw new OtelAuditError('PIPELINE_BUILD', `no factory for ${c.kind} type "${c.type}"`);
      return f as F;
    };
    const { config } = o;
    for (const id of config.service.extensions) {
      const c = config.extensions.get(id) as ResolvedComponent;
      s.extensions.set(id, factory<ExtensionFactory>(c).create(settings(id), c.config));
    }
    const pipelines = [...config.service.pipelines].filter(
      ([pid]) => !o.onlyPipelines || o.onlyPipelines.includes(pid),
    );
    // As the Collector: a component no pipeline uses is not created (an unused audit_wal would open and
    // lock its directory; config resolution warns about it).
    const used = (kind: 'exporters' | 'processors', id: string): boolean =>
      pipelines.some(([, p]) => p[kind].includes(id));
    for (const [id, c] of config.exporters) {
      if (used('exporters', id))
        s.exporters.set(id, factory<ExporterFactory>(c).create(settings(id), c.config));
    }
    for (const [id, c] of config.processors) {
      if (used('processors', id))
        s.processors.set(id, factory<ProcessorFactory>(c).create(settings(id), c.config));
    }
    const entry = new Map<string, LogsConsumer[]>();
    for (const [pid, p] of pipelines) {
      checkSealedOrder(pid, p.processors, s.processors);
      const stages = p.processors
        .map((id) => s.processors.get(id) as RecordProcessor)
        .filter(isWalStageProcessor)
        .map((w) => w.walStage);
      for (const eid of p.exporters) {
        const exporter = s.exporters.get(eid);
        if (isWalStageHost(exporter)) exporter.configureWalStages(stages);
        else if (stages.length > 0) {
          throw new OtelAuditError(
            'PIPELINE_BUILD',
            `service::pipelines::${pid}: exporter "${eid}" cannot chain or sign records; audit_chain and audit_sign need audit_wal exporters`,
          );
        }
      }
      const pipeline = new PipelineConsumer(
        pid,
        p.processors.map((id) => s.processors.get(id) as RecordProcessor),
        p.exporters.map((id) => s.exporters.get(id) as LogsExporter),
        p.processors,
        p.exporters,
        (err) => logger.error(`service::pipelines::${pid}: ${err.message}`),
      );
      s.pipelines.set(pid, pipeline);
      for (const r of p.receivers) entry.set(r, [...(entry.get(r) ?? []), pipeline]);
    }
    if (!o.skipReceivers) {
      for (const [id, targets] of entry) {
        const c = config.receivers.get(id) as ResolvedComponent;
        const next = targets.length === 1 ? (targets[0] as LogsConsumer) : new FanOutConsumer(targets);
        s.receivers.set(id, factory<ReceiverFactory>(c).create(settings(id), c.config, next));
      }
    }
    return s;
  }

  /** Starts every component once (a second call returns the same promise); rejects after `shutdown()`. */
  start(): Promise<void> {
    if (this.stopRequested)
      return Promise.reject(new OtelAuditError('LIFECYCLE', 'cannot start after shutdown'));
    this.started ??= this.doStart();
    return this.started;
  }

  /** Healthy: started, not shutting down, and every exporter that reports a state is `ok`. */
  health(): ServiceHealth {
    return summarizeHealth(this.phase, this.exporters);
  }

  /**
   * Receivers get most of the deadline (60%) to finish what is in flight; then,
   * whatever they did, processors (until 80% of the way from there to the
   * deadline), exporters (sealing and closing the WAL) and extensions are shut
   * down. A stage still shutting down at the end of its share is left running
   * and reported (`SHUTDOWN_TIMEOUT`): a hung processor cannot keep the WAL
   * from being sealed. Records of requests cut off by the deadline were never
   * acknowledged: their senders retry.
   *
   * Idempotent: the shutdown runs once and every call returns the same promise. The earliest deadline
   * wins (the end of each call's `deadlineMs`, counted from that call): a later call can bring the end
   * forward — the stages not begun yet get what is left of it, and the promise rejects with
   * `SHUTDOWN_TIMEOUT` 5 s after it — but never push it back (an operator who asked for 5 s is not
   * kept waiting 60 s because something else asked for that). The components of a stage already
   * running are told the new end too (their `shutdown()` called again with what is left of their share:
   * idempotent, the earliest deadline wins); before, they kept the budget the stage began with.
   */
  shutdown(deadlineMs: number = DEFAULT_SHUTDOWN_DEADLINE_MS): Promise<void> {
    // NaN (a bad number from a caller) is the default; Infinity is no deadline, as Lifecycle takes them.
    const endsAt = deadlineClockMs() + (Number.isNaN(deadlineMs) ? DEFAULT_SHUTDOWN_DEADLINE_MS : deadlineMs);
    this.deadlineAsked = true;
    this.stopRequested = true;
    if (endsAt < this.endsAt) {
      this.endsAt = endsAt;
      for (const t of this.endTimers) t.rearm();
      this.tightenRunningStage();
    }
    this.stopped ??= this.boundedShutdown();
    return this.stopped;
  }

  /**
   * The shutdown work, or `SHUTDOWN_TIMEOUT` a grace period after the deadline: the service bounds each
   * stage itself (`shutdownStage`), this is only a backstop (a stage's minimum can end past the deadline).
   */
  private async boundedShutdown(): Promise<void> {
    const since = deadlineClockMs();
    const work = this.shutdownOnce(); // begun before the first await: the phase is 'stopping' at once
    const outcome = work.then(
      () => undefined,
      () => undefined,
    );
    if (await this.timedOut(outcome, () => this.endsAt + OUTER_BOUND_GRACE_MS)) {
      throw new OtelAuditError(
        'SHUTDOWN_TIMEOUT',
        `shutdown did not finish within ${Math.round(this.endsAt + OUTER_BOUND_GRACE_MS - since)} ms`,
      );
    }
    return work;
  }

  /** Waits for `p` (which never rejects) until the time `at()` gives, read again when the deadline moves; true if that came first. */
  private async timedOut(p: Promise<void>, at: () => number): Promise<boolean> {
    const timer = new MovableTimer(at);
    this.endTimers.add(timer);
    try {
      return await Promise.race([p.then(() => false), timer.fired.then(() => true)]);
    } finally {
      timer.cancel();
      this.endTimers.delete(timer);
    }
  }

  /**
   * The stage shutting down now hears of an earlier end: its components still shutting down have their
   * `shutdown()` called again with what is left of their share (a component's shutdown is idempotent and
   * keeps the earliest deadline, Lifecycle), so a request held by a receiver is cut at the new end, not at
   * the one its stage began with. The first call's promise is the one waited for; this one's is the same.
   */
  private tightenRunningStage(): void {
    const stage = this.runningStage;
    if (stage === undefined) return;
    const ms = stage.budgetMs();
    for (const c of stage.pending) {
      try {
        c.shutdown?.(ms)?.catch(() => undefined);
      } catch {
        // its first call's outcome is the one reported
      }
    }
  }

  /** The shutdown work, started by whichever comes first: `shutdown()` or a failed start. */
  private shutdownOnce(): Promise<void> {
    this.shutdownWork ??= this.doShutdown();
    return this.shutdownWork;
  }

  private async doStart(): Promise<void> {
    this.phase = 'starting';
    const run = this.startComponents();
    this.startEnded = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
      if (this.phase === 'starting') this.phase = 'running';
    } catch (err) {
      // Release what did start (a WAL's directory lock, listening sockets, timers): the caller may build
      // a new service and retry, and a failed start must not leave the WAL locked by this process.
      // The same work as shutdown()'s: when it was called during the start, this waits for it.
      await this.shutdownOnce().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Starts the components in order, one at a time; once `shutdown()` is called, starts no more and
   * rejects (`LIFECYCLE`): a component started after its shutdown ran stays up for good (a receiver
   * that binds its ports after being told to close keeps the process alive).
   */
  private async startComponents(): Promise<void> {
    const groups: Iterable<{ start?: () => Promise<void> }>[] = [
      this.extensions.values(),
      this.exporters.values(),
      this.processors.values(),
      this.receivers.values(),
    ];
    for (const group of groups) {
      for (const c of group) {
        if (this.stopRequested)
          throw new OtelAuditError('LIFECYCLE', 'the service was shut down while starting');
        await c.start?.();
      }
    }
  }

  private async doShutdown(): Promise<void> {
    this.phase = 'stopping';
    // The deadline counts from here: the wait below comes out of the stages' budgets, not on top of them.
    const calledAt = deadlineClockMs();
    // A failed start shuts down without a shutdown() call: the default deadline. (Not `endsAt === Infinity`:
    // that is also `shutdown(Infinity)`, no deadline, which was cut to the default.)
    if (!this.deadlineAsked) this.endsAt = calledAt + DEFAULT_SHUTDOWN_DEADLINE_MS;
    try {
      // A component being started finishes starting first (shut down half-way, some leave a server
      // bound or a file open); bounded, so a start that hangs cannot keep the rest from shutting down.
      const startEnded = this.startEnded;
      if (startEnded)
        await this.timedOut(startEnded, () => calledAt + Math.floor((this.endsAt - calledAt) / 2));
      await this.shutdownComponents(calledAt);
    } finally {
      this.phase = 'stopped';
    }
  }

  /**
   * `started`: when the shutdown began (deadlineClockMs()). Each stage has a share of the time to `endsAt`, its end
   * read again whenever it is needed (a later, earlier deadline counts; see `stageEnds`): receivers until
   * 60% of the way from `started` to `endsAt`, processors until 80% of the way from where their stage
   * begins, exporters (the WAL is sealed and closed there) and then extensions until `endsAt`; each stage
   * at least its minimum from where it begins. A stage is waited for until its end (and a short grace):
   * components still shutting down then are reported (`SHUTDOWN_TIMEOUT`, naming them) and the next stage
   * begins. Before, processors got all the time left and a stage was waited for however long it took: a
   * processor whose shutdown hung left the exporters the 1 s minimum past the deadline, or never reached
   * them (the WAL left unsealed and locked until the process exited).
   */
  private async shutdownComponents(started: number): Promise<void> {
    const errors: unknown[] = [];
    const hung: string[] = [];
    const stages = stageEnds(started, () => this.endsAt);
    await this.shutdownStage('receivers', this.receivers, stages.receivers, errors, hung);
    await this.shutdownStage('processors', this.processors, stages.processors, errors, hung);
    await this.shutdownStage('exporters', this.exporters, stages.exporters, errors, hung);
    await this.shutdownStage('extensions', this.extensions, stages.extensions, errors, hung);
    if (hung.length > 0) {
      const others = errors.length > 0 ? `; ${errors.map(String).join('; ')}` : '';
      throw new OtelAuditError(
        'SHUTDOWN_TIMEOUT',
        `shutdown: still shutting down when their stage's share of the deadline ended (left running; the later stages were shut down): ${hung.join(', ')}${others}`,
        { cause: errors[0] },
      );
    }
    if (errors.length > 0) {
      throw new OtelAuditError('LIFECYCLE', `shutdown: ${errors.map(String).join('; ')}`, {
        cause: errors[0],
      });
    }
  }

  /**
   * Shuts down one stage's components at once, each given the stage's budget (what is left until its end),
   * and waits for them until that end plus `STAGE_CUT_GRACE_MS`. Their errors go to `errors` in the
   * components' order; those still shutting down then go to `hung` (as `kind::id`) and are not waited for.
   */
  private async shutdownStage(
    kind: string,
    components: ReadonlyMap<string, Stoppable>,
    share: StageShare,
    errors: unknown[],
    hung: string[],
  ): Promise<void> {
    const beganAt = deadlineClockMs();
    // At least the minimum from where the stage began, also when the end is brought forward.
    const cutAt = (): number => Math.max(beganAt + share.minMs, share.endsAt(beganAt));
    const budgetMs = (): number => Math.max(0, cutAt() - deadlineClockMs());
    // Only those not finished yet are called again (a component done is not told twice).
    const stage = { pending: new Set<Stoppable>(components.values()), budgetMs };
    this.runningStage = stage;
    try {
      const ms = budgetMs();
      const outcomes = new Map<string, { failed: unknown } | undefined>();
      const all = Promise.allSettled(
        [...components].map(async ([id, c]) => {
          try {
            await c.shutdown?.(ms);
            outcomes.set(id, undefined);
          } catch (err) {
            outcomes.set(id, { failed: err });
          } finally {
            stage.pending.delete(c);
          }
        }),
      ).then(() => undefined);
      if (await this.timedOut(all, () => cutAt() + STAGE_CUT_GRACE_MS)) {
        // A component bounded by the same end (Lifecycle) rejects from a setImmediate: let it say why itself.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      for (const id of components.keys()) {
        if (!outcomes.has(id)) hung.push(`${kind}::${id}`);
        else {
          const outcome = outcomes.get(id);
          if (outcome !== undefined) errors.push(outcome.failed);
        }
      }
    } finally {
      this.runningStage = undefined;
    }
  }
}

/** A stage's share of the shutdown: its end (deadlineClockMs() ms) given when it begins, and its minimum. */
interface StageShare {
  readonly endsAt: (beganAt: number) => number;
  readonly minMs: number;
}

/**
 * The stages' shares of a shutdown begun at `started` that must end at `endsAt()` (read each time: it can
 * come earlier). Receivers finish what is in flight until 60% of the way; processors until 80% of the way
 * from where they begin, so that the exporters (the WAL's seal and close: the acknowledged records' last
 * step) always keep a fifth of what is left however long the processors take; exporters, then extensions,
 * until the end. Infinity (no deadline) stays Infinity.
 */
function stageEnds(
  started: number,
  endsAt: () => number,
): Readonly<Record<'receivers' | 'processors' | 'exporters' | 'extensions', StageShare>> {
  const wayTo = (from: number, fraction: number): number => from + Math.floor((endsAt() - from) * fraction);
  return {
    receivers: { endsAt: () => wayTo(started, RECEIVERS_SHARE), minMs: 500 },
    processors: { endsAt: (beganAt) => wayTo(beganAt, PROCESSORS_SHARE), minMs: 1000 },
    exporters: { endsAt, minMs: 1000 },
    extensions: { endsAt, minMs: 1000 },
  };
}

/** Receivers' end: this fraction of the way from the shutdown's start to its deadline. */
const RECEIVERS_SHARE = 0.6;
/** Processors' end: this fraction of the way from where their stage begins to the deadline. */
const PROCESSORS_SHARE = 0.8;
/**
 * How long past a stage's end its components are still waited for before they are reported hung: one
 * bounded by that same end settles from its own timer, whose millisecond can fall after the service's.
 */
const STAGE_CUT_GRACE_MS = 50;

/** A component as a shutdown stage sees it. */
type Stoppable = { shutdown(ms?: number): Promise<void> } | { shutdown?: (ms?: number) => Promise<void> };

/** How long after the deadline the promise `shutdown()` returns rejects, if a stage ignores its own budget. */
const OUTER_BOUND_GRACE_MS = 5000;
/** The longest delay setTimeout takes (a longer one fires at once). */
const TIMER_MS_MAX = 2 ** 31 - 1;

/** Fires at the time `at()` gives (deadlineClockMs() ms; never when Infinity), read again on each `rearm()`. */
class MovableTimer {
  readonly fired: Promise<void>;
  private fire: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly at: () => number;

  constructor(at: () => number) {
    this.at = at;
    this.fired = new Promise<void>((resolve) => (this.fire = resolve));
    this.rearm();
  }

  rearm(): void {
    clearTimeout(this.timer);
    const at = this.at();
    if (at === Infinity) return;
    // A time beyond what one setTimeout waits (TIMER_MS_MAX) is reached in several: before, the capped timer
    // fired ~24.8 days in, however far the time was.
    this.timer = setTimeout(
      () => (deadlineClockMs() < this.at() ? this.rearm() : this.fire()),
      Math.min(TIMER_MS_MAX, Math.max(0, at - deadlineClockMs())),
    );
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** Marker for processors after which records must not change (hash chain, signing). */
export interface SealingProcessor extends RecordProcessor {
  readonly seals: true;
}

function checkSealedOrder(
  pipelineId: string,
  ids: readonly string[],
  processors: ReadonlyMap<string, RecordProcessor>,
): void {
  let sealedBy: string | undefined;
  for (const id of ids) {
    const p = processors.get(id) as RecordProcessor & { seals?: boolean };
    if (sealedBy !== undefined && p.mutates) {
      throw new OtelAuditError(
        'PIPELINE_BUILD',
        `service::pipelines::${pipelineId}: processor "${id}" can change records but comes after "${sealedBy}", which chains or signs them; move it before "${sealedBy}"`,
      );
    }
    if (p.seals) sealedBy = id;
  }
}
