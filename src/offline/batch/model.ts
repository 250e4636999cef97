import { parseModelConfig } from '../../config/index.js';
import { ServingError } from '../../errors/index.js';
import { FileSystemSource, isValidModelName } from '../../repository/index.js';
import { OnnxRuntime } from '../../runtime/index.js';
import type { LoadedModel } from '../../runtime/index.js';
import { BATCH_CODES, quoteName } from './errors.js';

/** `--model NAME[:VERSION]`: VERSION is a number or a label from config.yaml; absent = newest. */
export interface ModelRef {
  model: string;
  version: string | undefined;
}

export function parseModelRef(text: string): ModelRef {
  const at = text.lastIndexOf(':');
  const model = at < 0 ? text : text.slice(0, at);
  const version = at < 0 ? undefined : text.slice(at + 1);
  if (!isValidModelName(model) || (version !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(version))) {
    throw new ServingError(BATCH_CODES.usage, '--model must be NAME or NAME:VERSION (a version number or a label)');
  }
  return { model, version };
}

export interface BatchModel {
  model: string;
  version: string;
  loaded: LoadedModel;
  close(): Promise<void>;
}

async function resolveVersion(source: FileSystemSource, ref: ModelRef): Promise<number> {
  const snap = await source.scanModel(ref.model);
  if (!snap || snap.versions.length === 0) {
    throw new ServingError('MODEL_NOT_FOUND', `the model repository has no model ${quoteName(ref.model)} with a published version`);
  }
  if (ref.version === undefined) return snap.versions[snap.versions.length - 1]!;
  const label = parseModelConfig(snap.configText, ref.model).labels[ref.version];
  const version = label ?? (/^[1-9][0-9]*$/.test(ref.version) ? Number(ref.version) : NaN);
  if (!snap.versions.includes(version)) {
    throw new ServingError('VERSION_NOT_FOUND', `model ${quoteName(ref.model)} has no version or label ${quoteName(ref.version)}`);
  }
  return version;
}

/**
 * Loads one version with the same runtime `skein serve` uses: one instance per worker thread,
 * one intra-op thread each, so a batch job uses every core and no more.
 */
export async function loadBatchModel(repository: string, ref: ModelRef, workers: number): Promise<BatchModel> {
  const source = new FileSystemSource(repository);
  const version = await resolveVersion(source, ref);
  const filePath = await source.modelFile(ref.model, version);
  const runtime = new OnnxRuntime({ workers });
  let loaded: LoadedModel;
  try {
    loaded = await runtime.load({ modelName: ref.model, version: String(version), filePath, instances: workers, intraOpThreads: 1 });
  } catch (err) {
    await runtime.close();
    throw new ServingError('MODEL_LOAD_FAILED', `model ${quoteName(ref.model)} version ${version} failed to load`, {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
  return {
    model: ref.model,
    version: String(version),
    loaded,
    async close() {
      await loaded.release();
      await runtime.close();
    },
  };
}
