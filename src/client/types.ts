import type { DataType, Tensor } from '../tensor/index.js';
import type { ModelMetadata, ParameterValue, ServerMetadata } from '../serving/types.js';

/** A tensor the caller passes in: typed data, or plain arrays that are converted by datatype. */
export interface InputTensor {
  name: string;
  datatype: DataType;
  shape: number[];
  data: Tensor['data'] | readonly (number | bigint | boolean | string)[];
}

export interface InferOptions {
  inputs: InputTensor[];
  /** A version number or label; absent = the server's default version. */
  version?: string;
  id?: string;
  /** Names of outputs to return; absent = all. */
  outputs?: string[];
  parameters?: Record<string, ParameterValue>;
  /** Per-call timeout (client side) in milliseconds; overrides the client's. */
  timeoutMs?: number;
}

export interface InferResult {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Record<string, ParameterValue>;
  outputs: Tensor[];
}

/**
 * The calls every Open Inference Protocol transport offers. Works against Skein, Triton or KServe.
 * Every method rejects with InferenceClientError on a non-success answer.
 */
export interface InferenceClient {
  serverLive(): Promise<boolean>;
  serverReady(): Promise<boolean>;
  modelReady(model: string, version?: string): Promise<boolean>;
  serverMetadata(): Promise<ServerMetadata>;
  modelMetadata(model: string, version?: string): Promise<ModelMetadata>;
  infer(model: string, options: InferOptions): Promise<InferResult>;
  close(): Promise<void>;
}

/** A failed call: `status` is the HTTP status (or gRPC code), `code` Skein's error code when the server sent one. */
export class InferenceClientError extends Error {
  constructor(message: string, readonly status: number, readonly code: string | undefined) {
    super(message);
    this.name = 'InferenceClientError';
  }
}
