import { ServingError } from '../../errors/index.js';

/**
 * Model names and versions arrive percent-decoded from the URL, so `..%2F`, `%00` and `%2e%2e`
 * reach us as `../`, NUL and `..`. The repository joins names into file paths, so anything
 * outside this alphabet is refused here, before any other area sees it.
 */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Longest URL segment worth decoding: a 128-character name, every character percent-encoded. */
export const MAX_PARAM_LENGTH = 128 * 3;

function isSafeName(value: string): boolean {
  return NAME_PATTERN.test(value) && !value.includes('..');
}

export function checkModelName(value: string): string {
  if (!isSafeName(value)) {
    throw new ServingError(
      'INVALID_MODEL_NAME',
      'the model name must be 1-128 characters from [A-Za-z0-9_.-], start with a letter, digit or _, and not contain ".."',
    );
  }
  return value;
}

/** A version is a number ("3") or a label ("stable"); both follow the name rules. */
export function checkVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isSafeName(value)) {
    throw new ServingError(
      'INVALID_MODEL_NAME',
      'the version must be a number or a label of 1-128 characters from [A-Za-z0-9_.-] without ".."',
    );
  }
  return value;
}

export interface ModelTarget {
  model: string;
  version: string | undefined;
}

/** Reads and checks `:model` and the optional `:version` of a route. */
export function targetOf(params: unknown): ModelTarget {
  const { model, version } = params as { model?: string; version?: string };
  return { model: checkModelName(model ?? ''), version: checkVersion(version) };
}
