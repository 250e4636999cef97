import { ServingError } from '../errors/index.js';
import { BUILTIN_FEEDBACK_TYPES, FEEDBACK_TYPE } from './config.js';
import type { FeedbackEvent } from './state/types.js';

const MAX_ID_CHARS = 128;
const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Validates a POST /v2/feedback body: one event object, or {"events": [...]}. Every event is
 * checked before any is counted, so a malformed batch changes nothing.
 */
export function parseFeedback(body: unknown, allowedTypes: ReadonlySet<string>, maxEvents: number): FeedbackEvent[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServingError('INVALID_FEEDBACK', 'the body must be a JSON object: one event, or {"events": [...]}');
  }
  const doc = body as Record<string, unknown>;
  const list = 'events' in doc ? doc.events : [doc];
  if (!Array.isArray(list) || list.length === 0) throw new ServingError('INVALID_FEEDBACK', '`events` must be a non-empty list of events');
  if (list.length > maxEvents) throw new ServingError('INVALID_FEEDBACK', `${list.length} events in one request; at most ${maxEvents} (feedback.maxEventsPerRequest)`);
  return list.map((raw, i) => parseEvent(raw, i, allowedTypes));
}

function parseEvent(raw: unknown, i: number, allowed: ReadonlySet<string>): FeedbackEvent {
  const at = `event ${i}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ServingError('INVALID_FEEDBACK', `${at} is not an object`);
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (!['prediction_id', 'type', 'value', 'event_id'].includes(k)) throw new ServingError('INVALID_FEEDBACK', `${at}: unknown field '${k}' (fields: prediction_id, type, value, event_id)`);
  }
  if (typeof e.prediction_id !== 'string' || !ID.test(e.prediction_id)) {
    throw new ServingError('INVALID_FEEDBACK', `${at}: prediction_id must be the string from the reply's parameters.prediction_id`);
  }
  if (typeof e.type !== 'string' || !FEEDBACK_TYPE.test(e.type)) throw new ServingError('INVALID_FEEDBACK', `${at}: type must be one of ${[...allowed].join(', ')}`);
  if (!allowed.has(e.type)) throw new ServingError('INVALID_FEEDBACK', `${at}: unknown type '${e.type}'; allowed: ${[...allowed].join(', ')} (add custom types in traffic.yaml feedback.customTypes)`);
  const event: FeedbackEvent = { predictionId: e.prediction_id, type: e.type };
  if (e.value !== undefined) {
    if (typeof e.value !== 'number' || !Number.isFinite(e.value) || e.value < 0 || e.value > 1e12) {
      throw new ServingError('INVALID_FEEDBACK', `${at}: value must be a finite number from 0 to 1e12`);
    }
    event.value = e.value;
  }
  if (e.event_id !== undefined) {
    if (typeof e.event_id !== 'string' || e.event_id.length === 0 || e.event_id.length > MAX_ID_CHARS) {
      throw new ServingError('INVALID_FEEDBACK', `${at}: event_id must be a string of 1–${MAX_ID_CHARS} characters`);
    }
    event.eventId = e.event_id;
  }
  return event;
}

export function feedbackTypes(custom: readonly string[]): ReadonlySet<string> {
  return new Set([...BUILTIN_FEEDBACK_TYPES, ...custom]);
}
