export { createRedactor, redactLine, ALWAYS_REMOVED_PATHS } from './redactor.js';
export type { Redactor, RedactorOptions } from './redactor.js';
export { redactString, redactValue, redactionMark, luhnValid } from './patterns.js';
export { createKeyring, pseudonymousId, verifyPseudonymousId } from './pseudonym.js';
export type { Keyring, KeyringOptions, PeriodKey, WallClock } from './pseudonym.js';
export { shouldLogPayload, checkPayloadLogOptions } from './sampling.js';
export type { PayloadLogOptions } from './sampling.js';
export { createPayloadLogger, previewOf, DEFAULT_MAX_PREVIEW_VALUES, MAX_PREVIEW_VALUES_LIMIT, MAX_PREVIEW_CHARS } from './payload-log.js';
export type { PayloadLogConfig, PayloadLogger, PayloadLoggerOptions, PayloadRequest, PayloadResponse, TensorPreview } from './payload-log.js';
