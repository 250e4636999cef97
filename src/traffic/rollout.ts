import type { Logger } from 'pino';
import { ServingError } from '../errors/index.js';
import type { Clock, TimerHandle } from '../util/index.js';
import type { RolloutConfig } from './config.js';
import type { TrafficMetrics } from './metrics.js';
import {
  commandTransition, decideRollout, initialRolloutState,
  type KpiSnapshot, type RolloutCommand, type RolloutState, type RolloutStatus,
} from './rollout-plan.js';
import type { HistoryEntry, TrafficStateStore } from './state/types.js';
import { OutcomeWindow, type WindowSnapshot } from './window.js';

const STATUSES: readonly RolloutStatus[] = ['pending', 'ramping', 'paused', 'rolled_back', 'completed'];

export interface RolloutHooks {
  /** The version number a label or number names now (throws when there is none). */
  versionOf(model: string, ref: string): number;
  /** Moves a label (promotion); persisted by the caller. */
  setLabel(model: string, label: string, version: number): Promise<void>;
  wallNow(): number;
}

export interface RolloutView {
  model: string;
  stable: string;
  canary: string;
  steps: number[];
  state: RolloutState;
  window: { canary: WindowSnapshot; stable: WindowSnapshot };
  history: HistoryEntry[];
}

/**
 * One canary rollout: routes a share of traffic to the canary, keeps outcome windows for both
 * tracks over the current step, and on every check applies the pure decision (rollout-plan.ts).
 * State lives in the traffic state store (compare-and-set), so a restart resumes the step and
 * replicas sharing Redis follow one state: each check first adopts the stored state.
 */
export class RolloutController {
  private state: RolloutState;
  private revision = 0;
  private canaryWindow = new OutcomeWindow();
  private stableWindow = new OutcomeWindow();
  private timer: TimerHandle | undefined;
  private checking: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly config: RolloutConfig,
    private readonly store: TrafficStateStore,
    private readonly clock: Clock,
    private readonly metrics: TrafficMetrics,
    private readonly logger: Logger,
    private readonly hooks: RolloutHooks,
    private readonly kpi?: () => Promise<KpiSnapshot | undefined>,
  ) {
    this.state = initialRolloutState(hooks.wallNow());
  }

  get model(): string {
    return this.config.model;
  }

  get current(): RolloutState {
    return this.state;
  }

  /**
   * Loads (or creates) the stored state, starts ramping when autoStart, and schedules checks.
   * With the state store unreachable the rollout stays at 0% (stable only) and the checks retry
   * until the store answers: a replica never guesses a shared rollout's step.
   */
  async start(): Promise<void> {
    try {
      await this.initialize();
    } catch (err) {
      this.logger.warn({ model: this.model, err: String(err) }, 'rollout state unavailable; serving stable only until the store answers');
    }
    this.publish();
    this.schedule();
  }

  private initialized = false;

  private async initialize(): Promise<void> {
    const stored = await this.store.getRollout(this.model);
    if (stored) this.adopt(stored.state as RolloutState, stored.revision);
    else {
      const fresh = initialRolloutState(this.hooks.wallNow());
      if (await this.store.putRollout(this.model, fresh, 0)) this.adopt(fresh, 1);
      else await this.reload();
    }
    if (this.config.autoStart && this.state.status === 'pending') await this.command('start', 'autoStart');
    this.initialized = true;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  /** Which track a request at `position` in [0, 1) goes to, and the version it names. */
  route(position: number): { track: 'canary' | 'stable'; version: string } {
    const s = this.state;
    const canary = (s.status === 'ramping' || s.status === 'paused') && position * 100 < s.percent;
    // After promotion the stable label names the canary; without a label, keep sending it there.
    if (s.status === 'completed' && !this.stableIsLabel) return { track: 'canary', version: this.config.canary };
    return canary ? { track: 'canary', version: this.config.canary } : { track: 'stable', version: this.config.stable };
  }

  record(track: 'canary' | 'stable', ok: boolean, latencyMs: number): void {
    (track === 'canary' ? this.canaryWindow : this.stableWindow).record(ok, latencyMs);
  }

  private get stableIsLabel(): boolean {
    return !/^[0-9]+$/.test(this.config.stable);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.checking = this.check().catch((err) => this.logger.error({ model: this.model, err: String(err) }, 'rollout check failed')).finally(() => this.schedule());
    }, this.config.checkIntervalMs);
  }

  /** One check: adopt the shared state, judge the windows, apply the decision. Exposed for tests. */
  async check(): Promise<void> {
    if (!this.initialized) {
      await this.initialize();
      return;
    }
    await this.reload();
    const kpi = this.config.guardrails.kpi && this.kpi ? await this.kpi() : undefined;
    const d = decideRollout(this.config, this.state, this.canaryWindow.snapshot(), this.stableWindow.snapshot(), this.hooks.wallNow(), kpi);
    const now = this.hooks.wallNow();
    if (d.action === 'rollback') {
      await this.transition({ ...this.state, status: 'rolled_back', percent: 0, sinceMs: now, reason: d.reason }, 'rolled_back', { reason: d.reason, automatic: true });
      this.metrics.rollbacks.inc({ model: this.model });
      this.logger.warn({ model: this.model, reason: d.reason }, 'canary rolled back');
    } else if (d.action === 'advance') {
      await this.transition({ status: 'ramping', step: d.step, percent: d.percent, sinceMs: now, reason: 'guardrails held' }, 'step', { step: d.step, percent: d.percent });
    } else if (d.action === 'complete') {
      await this.complete('guardrails held through the last step');
    }
  }

  /** Waits for a running check (tests). */
  settled(): Promise<void> {
    return this.checking;
  }

  async command(command: RolloutCommand, reason: string): Promise<RolloutState> {
    await this.reload();
    const next = commandTransition(this.config, this.state, command, this.hooks.wallNow(), reason);
    if (!next) {
      throw new ServingError('ROLLOUT_CONFLICT', `rollout of '${this.model}' is ${this.state.status}; '${command}' is not allowed from there${this.state.status === 'completed' ? ' (it was promoted: move the label back to undo it)' : ''}`);
    }
    if (command === 'promote') await this.complete(reason);
    else {
      await this.transition(next, command === 'start' ? 'started' : command === 'rollback' ? 'rolled_back' : command === 'pause' ? 'paused' : 'resumed', { reason, by: 'command' });
      if (command === 'rollback') this.metrics.rollbacks.inc({ model: this.model });
    }
    return this.state;
  }

  private async complete(reason: string): Promise<void> {
    if (this.config.promoteOnComplete && this.stableIsLabel) {
      const version = this.hooks.versionOf(this.model, this.config.canary);
      await this.hooks.setLabel(this.model, this.config.stable, version);
    }
    const steps = this.config.steps;
    await this.transition({ status: 'completed', step: steps.length - 1, percent: 100, sinceMs: this.hooks.wallNow(), reason }, 'promoted', { reason });
  }

  private async transition(next: RolloutState, event: string, detail: Record<string, unknown>): Promise<void> {
    if (!(await this.store.putRollout(this.model, next, this.revision))) {
      // Another replica (or command) moved first: adopt its state, decide again next check.
      await this.reload();
      return;
    }
    this.adopt(next, this.revision + 1);
    await this.store.appendHistory(this.model, { atMs: next.sinceMs, event, detail: { ...detail, status: next.status, percent: next.percent } });
  }

  private async reload(): Promise<void> {
    const stored = await this.store.getRollout(this.model);
    if (stored && stored.revision !== this.revision) this.adopt(stored.state as RolloutState, stored.revision);
  }

  private adopt(state: RolloutState, revision: number): void {
    const changed = state.step !== this.state.step || state.status !== this.state.status || state.sinceMs !== this.state.sinceMs;
    this.state = state;
    this.revision = revision;
    if (changed) {
      this.canaryWindow = new OutcomeWindow();
      this.stableWindow = new OutcomeWindow();
    }
    this.publish();
  }

  private publish(): void {
    this.metrics.rolloutPercent.set({ model: this.model }, this.state.percent);
    this.metrics.rolloutStep.set({ model: this.model }, this.state.step);
    for (const s of STATUSES) this.metrics.rolloutStatus.set({ model: this.model, status: s }, s === this.state.status ? 1 : 0);
  }

  async view(historyLimit = 50): Promise<RolloutView> {
    await this.reload();
    return {
      model: this.model,
      stable: this.config.stable,
      canary: this.config.canary,
      steps: [...this.config.steps],
      state: this.state,
      window: { canary: this.canaryWindow.snapshot(), stable: this.stableWindow.snapshot() },
      history: await this.store.history(this.model, historyLimit),
    };
  }
}
