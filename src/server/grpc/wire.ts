/**
 * Messages as @grpc/proto-loader decodes them with PROTO_LOADER_OPTIONS (proto.ts): snake_case,
 * 64-bit integers as decimal strings, repeated fields always arrays, maps always objects, optional
 * scalars absent when unset. Outgoing messages may use numbers for 64-bit fields.
 */
export type Int64 = string;

export interface WireParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64;
}

export type WireParameters = Record<string, WireParameter>;

export interface WireContents {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: Int64[];
  uint_contents: number[];
  uint64_contents: Int64[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Buffer[];
}

export interface WireInputTensor {
  name?: string;
  datatype?: string;
  shape: Int64[];
  parameters: WireParameters;
  contents?: WireContents;
}

export interface WireRequestedOutput {
  name?: string;
  parameters: WireParameters;
}

export interface WireInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters: WireParameters;
  inputs: WireInputTensor[];
  outputs: WireRequestedOutput[];
  raw_input_contents: Buffer[];
}

/** What the server sends: 64-bit fields as numbers, bytes as Buffers. */
export interface WireOutgoingParameter {
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
  double_param?: number;
}

export interface WireInferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Record<string, WireOutgoingParameter>;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

export interface WireModelRequest {
  name?: string;
  version?: string;
}

export interface WireRepositoryParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'bytes_param';
}

export interface WireRepositoryRequest {
  repository_name?: string;
  model_name?: string;
  parameters: Record<string, WireRepositoryParameter>;
}

export interface WireIndexRequest {
  repository_name?: string;
  ready?: boolean;
}

export interface WireHealthRequest {
  service?: string;
}
