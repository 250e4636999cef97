import type { Logger } from 'pino';
import { parseModelConfig, type ModelConfig, type ServerConfig } from '../config/index.js';
import { ServingError } from '../errors/index.js';
import type { ServingMetrics } from '../monitoring/index.js';
import type { Runtime } from '../runtime/index.js';
import type { IndexEntry } from '../serving/types.js';
import type { Clock, TimerHandle } from '../util/index.js';
import { aspiredVersions, nextActions, type SwapMode } from './policy.js';
import { isValidModelName, type ModelSnapshot, type Source } from './source.js';
import { VersionEntry } from './version.js';

interface ModelState {
  name: string;
  config: ModelConfig;
  configText: string | undefined;
  /** Why the model's config could not be used; shown in the index. */
  configError: string | undefined;
  versions: Map<number, VersionEntry>;
  aspired: number[];
  /** Lifecycle work for one model runs one step at a time. */
  chain: Promise<void>;
}

export interface ManagerOptions {
  source: Source;
  runtime: Runtime;
  metrics: ServingMetrics;
  logger: Logger;
  clock: Clock;
  server: Pick<ServerConfig, 'modelControlMode' | 'repositoryPollIntervalMs' | 'loadModels' | 'versionSwap' | 'workers' | 'intraOpThreads'>;
  /** Replaces the repository root in failure reasons, so they never show server paths. */
  repositoryRoot: string;
}

const VERSION_OR_LABEL = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Owns every model's versions. Sources say what exists; the version policy says what should be
 * served; this class loads, warms, swaps and drains, one model step at a time, while requests
 * resolve versions from the current table. A version takes traffic only once ready; a version
 * leaving is first removed from resolution, then drained, then released.
 */
export class ModelManager {
  private readonly models = new Map<string, ModelState>();
  private known = new Set<string>();
  private pollTimer: TimerHandle | undefined;
  private polling = false;
  private closed = false;
  /** Labels moved at run time (traffic area); they win over config.yaml labels. */
  private readonly labelOverrides = new Map<string, Map<string, number>>();

  constructor(private readonly o: ManagerOptions) {}

  get mode(): 'none' | 'poll' | 'explicit' {
    return this.o.server.modelControlMode;
  }

  async start(): Promise<void> {
    const all = await this.o.source.scan();
    this.known = new Set(all.keys());
    let names = [...all.keys()];
    if (this.mode === 'explicit') {
      const wanted = this.o.server.loadModels;
      names = wanted.includes('*') ? names : wanted;
    }
    await Promise.all(names.map((n) => this.sync(n, all.get(n), false)));
    if (this.mode === 'poll') this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = this.o.clock.setTimeout(() => {
      void this.pollOnce().finally(() => this.schedulePoll());
    }, this.o.server.repositoryPollIntervalMs);
  }

  /** One poll of the repository; exported for tests that drive time by hand. */
  async pollOnce(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const all = await this.o.source.scan();
      this.known = new Set(all.keys());
      const names = new Set([...all.keys(), ...this.models.keys()]);
      await Promise.all([...names].map((n) => this.sync(n, all.get(n), false)));
    } catch (err) {
      this.o.logger.error({ err: this.safe(err) }, 'repository poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** Explicit mode: (re)load one model from the repository; resolves when it is ready or failed. */
  async load(name: string): Promise<void> {
    if (this.mode !== 'explicit') throw new ServingError('CONTROL_DISABLED', 'loading models needs --model-control-mode explicit');
    if (!isValidModelName(name)) throw new ServingError('INVALID_MODEL_NAME', 'model names may hold only letters, digits, _ . -');
    const snap = await this.o.source.scanModel(name);
    if (!snap) throw new ServingError('MODEL_NOT_FOUND', `model '${name}' is not in the repository`);
    await this.sync(name, snap, true);
    const state = this.models.get(name);
    if (state?.configError) throw new ServingError('INVALID_CONFIG', state.configError);
    const ready = state && [...state.versions.values()].some((v) => v.state === 'ready');
    if (!ready) {
      const reasons = state ? [...state.versions.values()].map((v) => `version ${v.version}: ${v.reason ?? v.state}`) : [];
      throw new ServingError('MODEL_LOAD_FAILED', `model '${name}' has no ready version${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
    }
  }

  async unload(name: string): Promise<void> {
    if (this.mode !== 'explicit') throw new ServingError('CONTROL_DISABLED', 'unloading models needs --model-control-mode explicit');
    if (!isValidModelName(name)) throw new ServingError('INVALID_MODEL_NAME', 'model names may hold only letters, digits, _ . -');
    if (!this.models.has(name)) throw new ServingError('MODEL_NOT_FOUND', `model '${name}' is not loaded`);
    await this.sync(name, undefined, false);
  }

  /** Serializes lifecycle work per model. */
  private sync(name: string, snap: ModelSnapshot | undefined, force: boolean): Promise<void> {
    let state = this.models.get(name);
    if (!state) {
      if (!snap) return Promise.resolve();
      state = { name, config: parseModelConfig(undefined, name), configText: undefined, configError: undefined, versions: new Map(), aspired: [], chain: Promise.resolve() };
      this.models.set(name, state);
      force = true;
    }
    const s = state;
    s.chain = s.chain.then(() => this.step(s, snap, force)).catch((err) => {
      this.o.logger.error({ model: name, err: this.safe(err) }, 'model lifecycle step failed');
    });
    return s.chain;
  }

  private async step(s: ModelState, snap: ModelSnapshot | undefined, force: boolean): Promise<void> {
    if (!snap) {
      s.aspired = [];
      await this.applyPolicy(s);
      if (s.versions.size === 0) this.models.delete(s.name);
      return;
    }
    const configChanged = snap.configText !== s.configText;
    if (configChanged || force) {
      let config: ModelConfig;
      try {
        config = parseModelConfig(snap.configText, s.name);
      } catch (err) {
        s.configError = err instanceof ServingError ? err.message : 'config.yaml could not be read';
        s.configText = snap.configText;
        this.o.logger.error({ model: s.name, reason: s.configError }, 'model config rejected; the versions already loaded keep serving');
        return;
      }
      s.configError = undefined;
      s.configText = snap.configText;
      const hadVersions = s.versions.size > 0;
      s.config = config;
      s.aspired = aspiredVersions(snap.versions, config.versionPolicy);
      if (hadVersions) {
        await this.reload(s);
        return;
      }
    }
    s.aspired = aspiredVersions(snap.versions, s.config.versionPolicy);
    await this.applyPolicy(s);
  }

  private async applyPolicy(s: ModelState): Promise<void> {
    for (let guard = 0; guard < 1000; guard++) {
      const states = new Map([...s.versions].map(([v, e]) => [v, e.state] as const));
      const actions = nextActions(s.aspired, states, this.o.server.versionSwap as SwapMode);
      if (actions.length === 0) return;
      await Promise.all(actions.map((a) => (a.kind === 'load' ? this.loadInto(s, a.version) : this.unloadFrom(s, a.version))));
    }
    throw new Error('version policy did not settle');
  }

  /** Config changed or an explicit reload: load fresh entries beside the old, then swap. */
  private async reload(s: ModelState): Promise<void> {
    const fresh = await Promise.all(s.aspired.map(async (v) => {
      const e = new VersionEntry(s.name, v, s.config, this.o.metrics, this.o.clock);
      await this.bringUp(e);
      return e;
    }));
    const old = s.versions;
    const next = new Map<number, VersionEntry>();
    for (const e of fresh) {
      const prev = old.get(e.version);
      // A failed reload keeps the version that was serving (Triton's rule for poll mode).
      if (e.state !== 'ready' && prev?.state === 'ready') next.set(e.version, prev);
      else next.set(e.version, e);
    }
    if (![...next.values()].some((e) => e.state === 'ready')) {
      for (const [v, e] of old) if (e.state === 'ready' && !next.has(v)) next.set(v, e);
    }
    s.versions = next;
    const kept = new Set(next.values());
    await Promise.all([...old.values()].filter((e) => !kept.has(e)).map((e) => this.retire(e)));
  }

  private async loadInto(s: ModelState, version: number): Promise<void> {
    const e = new VersionEntry(s.name, version, s.config, this.o.metrics, this.o.clock);
    s.versions.set(version, e);
    await this.bringUp(e);
  }

  private async unloadFrom(s: ModelState, version: number): Promise<void> {
    const e = s.versions.get(version);
    if (!e) return;
    if (e.state === 'failed') {
      s.versions.delete(version);
      e.setState('unloaded', e.reason);
      return;
    }
    e.setState('unloading');
    await this.retire(e);
    s.versions.delete(version);
  }

  private async retire(e: VersionEntry): Promise<void> {
    if (e.state === 'ready') e.setState('unloading');
    await e.drainAndRelease();
    e.setState('unloaded');
    this.o.logger.info({ model: e.model, version: e.version }, 'version unloaded');
  }

  /** Loads and warms one version within its load timeout; failure is recorded, never thrown. */
  private async bringUp(e: VersionEntry): Promise<void> {
    const started = this.o.clock.now();
    const labels = { model: e.model, version: e.versionLabel };
    e.setState('loading');
    const work = (async () => {
      const filePath = await this.o.source.modelFile(e.model, e.version);
      const loaded = await this.o.runtime.load({
        modelName: e.model,
        version: e.versionLabel,
        filePath,
        instances: e.config.runtime.instances ?? Math.min(2, this.o.server.workers),
        intraOpThreads: e.config.runtime.intraOpThreads ?? this.o.server.intraOpThreads,
        inlineIntraOpThreads: e.config.runtime.inlineIntraOpThreads,
      });
      try {
        await e.activate(loaded);
      } catch (err) {
        await e.drainAndRelease();
        throw err;
      }
    })();
    let timer: TimerHandle | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve('timeout'), e.config.loadTimeoutMs);
    });
    try {
      const r = await Promise.race([work.then(() => 'ok' as const), timeout]);
      if (r === 'timeout') {
        // The load goes on in the background; whatever it produces is released, never served.
        e.abandoned = true;
        void work.then(() => e.drainAndRelease(), () => undefined);
        throw new Error(`load and warmup did not finish within loadTimeoutMs (${e.config.loadTimeoutMs} ms)`);
      }
      e.setState('ready');
      this.o.metrics.loadSeconds.observe(labels, (this.o.clock.now() - started) / 1000);
      this.o.logger.info({ model: e.model, version: e.version, ms: Math.round(this.o.clock.now() - started) }, 'version ready');
    } catch (err) {
      e.setState('failed', this.safe(err));
      this.o.metrics.loadFailures.inc(labels);
      this.o.logger.error({ model: e.model, version: e.version, reason: e.reason }, 'version failed to load; it will not take traffic');
    } finally {
      timer?.cancel();
    }
  }

  private safe(err: unknown): string {
    const msg = err instanceof Error ? err.message : String(err);
    return msg.split(this.o.repositoryRoot).join('<repository>').slice(0, 500);
  }

  /** The ready version a request should use; throws the coded error a caller can act on. */
  resolve(model: string, version?: string): VersionEntry {
    if (!isValidModelName(model)) throw new ServingError('INVALID_MODEL_NAME', 'model names may hold only letters, digits, _ . -');
    const s = this.models.get(model);
    if (!s) throw new ServingError('MODEL_NOT_FOUND', `unknown model '${model}'`);
    if (version === undefined || version === '') {
      let best: VersionEntry | undefined;
      for (const e of s.versions.values()) if (e.state === 'ready' && (!best || e.version > best.version)) best = e;
      if (!best) throw new ServingError('MODEL_NOT_READY', `model '${model}' has no ready version`);
      return best;
    }
    if (!VERSION_OR_LABEL.test(version)) throw new ServingError('INVALID_MODEL_NAME', 'a version is a number or a label of letters, digits and _');
    let number: number;
    if (/^[0-9]+$/.test(version)) number = Number(version);
    else {
      const target = this.labelTarget(model, version);
      if (target === undefined) throw new ServingError('VERSION_NOT_FOUND', `model '${model}' has no label '${version}'`);
      number = target;
    }
    const e = s.versions.get(number);
    if (!e || e.state !== 'ready') {
      throw new ServingError('VERSION_NOT_FOUND', `model '${model}' has no ready version ${version === String(number) ? number : `${number} (label '${version}')`}`);
    }
    return e;
  }

  /** The version a label names now: a run-time override, else config.yaml; undefined = no such label. */
  labelTarget(model: string, label: string): number | undefined {
    const override = this.labelOverrides.get(model)?.get(label);
    if (override !== undefined) return override;
    return this.models.get(model)?.config.labels[label];
  }

  /** Every label of a model and the version it names (overrides applied). */
  labelsOf(model: string): Record<string, number> {
    const s = this.models.get(model);
    if (!s) throw new ServingError('MODEL_NOT_FOUND', `unknown model '${model}'`);
    return { ...s.config.labels, ...Object.fromEntries(this.labelOverrides.get(model) ?? []) };
  }

  /**
   * Points a label at a version, atomically (one map write between requests): requests resolve
   * either the old or the new target, never neither. Only a ready version may be named.
   */
  setLabel(model: string, label: string, version: number): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(label)) throw new ServingError('INVALID_MODEL_NAME', 'labels must match [A-Za-z_][A-Za-z0-9_]*');
    const s = this.models.get(model);
    if (!s) throw new ServingError('MODEL_NOT_FOUND', `unknown model '${model}'`);
    const e = s.versions.get(version);
    if (!e || e.state !== 'ready') {
      throw new ServingError('LABEL_TARGET_NOT_READY', `model '${model}' version ${version} is not loaded and ready; label '${label}' still names ${this.labelTarget(model, label) ?? 'nothing'}`);
    }
    let m = this.labelOverrides.get(model);
    if (!m) this.labelOverrides.set(model, (m = new Map()));
    m.set(label, version);
  }

  config(model: string): ModelConfig {
    const s = this.models.get(model);
    if (!s) throw new ServingError('MODEL_NOT_FOUND', `unknown model '${model}'`);
    return s.config;
  }

  /** Ready versions of a model, ascending. */
  versionsOf(model: string): VersionEntry[] {
    const s = this.models.get(model);
    return s ? [...s.versions.values()].sort((a, b) => a.version - b.version) : [];
  }

  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }

  /** Strict readiness (as Triton): every model that should be served has a ready version. */
  allReady(): boolean {
    for (const s of this.models.values()) {
      if (s.configError && s.versions.size === 0) return false;
      if (s.aspired.length > 0 && ![...s.versions.values()].some((e) => e.state === 'ready')) return false;
    }
    return true;
  }

  index(): IndexEntry[] {
    const out: IndexEntry[] = [];
    for (const name of [...new Set([...this.known, ...this.models.keys()])].sort()) {
      const s = this.models.get(name);
      if (!s || s.versions.size === 0) {
        out.push({ name, version: '', state: 'unloaded', ...(s?.configError ? { reason: s.configError } : {}) });
        continue;
      }
      for (const e of [...s.versions.values()].sort((a, b) => a.version - b.version)) {
        const labels = Object.entries(this.labelsOf(name)).filter(([, v]) => v === e.version).map(([k]) => k);
        out.push({
          name,
          version: e.versionLabel,
          state: e.state,
          ...(e.reason ? { reason: e.reason } : s.configError ? { reason: s.configError } : {}),
          ...(labels.length ? { labels } : {}),
        });
      }
    }
    return out;
  }

  /** Stops polling and drains every version; used on shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    this.pollTimer?.cancel();
    await Promise.all([...this.models.values()].map((s) => s.chain));
    await Promise.all([...this.models.values()].flatMap((s) => [...s.versions.values()]).map((e) => (e.state === 'ready' ? this.retire(e) : undefined)));
  }
}
