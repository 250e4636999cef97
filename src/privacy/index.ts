export { createRedactor, redactLine, ALWAYS_REMOVED_PATHS } from './redactor.js';
export type { Redactor, RedactorOptions } from './redactor.js';
export { redactString, redactValue, redactionMark, luhnValid } from './patterns.js';
export { createKeyring, pseudonymousId, verifyPseudonymousId } from './pseudonym.js';
export type { Keyring, KeyringOptions, PeriodKey, WallClock } from './pseudonym.js';
export { shouldLogPayload, checkPayloadLogOptions } from './sampling.js';
export type { PayloadLogOptions } from './sampling.js';
