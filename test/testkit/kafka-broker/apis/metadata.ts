import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { Writer } from '../protocol/writer.ts';
import type { BrokerState } from '../state.ts';
import { isValidTopicName } from '../topic-name.ts';
import { respond } from './types.ts';
import type { ApiHandler, HandlerResult, RequestContext } from './types.ts';

/**
 * Metadata (key 3), v0–v7 (v8 adds authorized-operations bitfields, v9+ is flexible).
 *
 * Request: topics [name] (v0: empty = all topics; v1+: nullable, null = all,
 * empty = none), allow_auto_topic_creation bool (v4+; older versions imply true).
 *
 * Response: throttle_time_ms (v3+), brokers [node_id, host, port, rack (v1+)],
 * cluster_id (v2+), controller_id (v1+), topics [error_code, name, is_internal (v1+),
 * partitions [error_code, partition_index, leader_id, leader_epoch (v7+),
 * replica_nodes, isr_nodes, offline_replicas (v5+)]].
 *
 * One broker (node 0) leads every partition and is the controller, which is
 * what a non-transactional idempotent kafkajs producer asks InitProducerId of.
 */
interface MetadataRequest {
  /** null = all topics. */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}

interface TopicResult {
  errorCode: number;
  name: string;
  partitions: number;
}

function decode(ctx: RequestContext): MetadataRequest {
  const { body, header } = ctx;
  const version = header.apiVersion;
  let topics = version === 0 ? body.array((r) => r.string()) : body.nullableArray((r) => r.string());
  if (version === 0 && topics !== null && topics.length === 0) topics = null;
  const allowAutoTopicCreation = version >= 4 ? body.boolean() : true;
  return { topics: topics === null ? null : [...new Set(topics)], allowAutoTopicCreation };
}

function encode(version: number, state: BrokerState, topics: readonly TopicResult[]): Buffer {
  const w = new Writer();
  if (version >= 3) w.int32(0); // throttle_time_ms
  w.array([state.nodeId], (w2, nodeId) => {
    w2.int32(nodeId).string(state.host).int32(state.port);
    if (version >= 1) w2.nullableString(null); // rack
  });
  if (version >= 2) w.nullableString(state.clusterId);
  if (version >= 1) w.int32(state.nodeId); // controller_id
  w.array(topics, (w2, t) => {
    w2.int16(t.errorCode).string(t.name);
    if (version >= 1) w2.boolean(false); // is_internal
    const partitions = Array.from({ length: t.partitions }, (_, i) => i);
    w2.array(partitions, (w3, index) => {
      w3.int16(ErrorCode.NONE).int32(index).int32(state.nodeId);
      if (version >= 7) w3.int32(0); // leader_epoch: never changes here
      w3.array([state.nodeId], (w4, n) => w4.int32(n)); // replicas
      w3.array([state.nodeId], (w4, n) => w4.int32(n)); // isr
      if (version >= 5) w3.array([], () => {}); // offline_replicas
    });
  });
  return w.toBuffer();
}

function describe(state: BrokerState, name: string, allowAutoCreate: boolean): TopicResult {
  const count = state.topics.partitionCount(name);
  if (count !== undefined) return { errorCode: ErrorCode.NONE, name, partitions: count };
  // Kafka answers INVALID_TOPIC_EXCEPTION for an illegal name whether or not it would auto-create.
  if (!isValidTopicName(name)) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: 0 };
  if (!allowAutoCreate) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: 0 };
  // Kafka creates asynchronously and first answers LEADER_NOT_AVAILABLE; creation is
  // synchronous here, so the topic is reported ready at once (also a valid answer).
  state.topics.create(name, state.defaultPartitions);
  return { errorCode: ErrorCode.NONE, name, partitions: state.defaultPartitions };
}

export const metadataHandler: ApiHandler = {
  apiKey: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 7,
  handle(ctx: RequestContext): HandlerResult {
    const { state } = ctx;
    const req = decode(ctx);
    const autoCreate = state.autoCreateTopics && req.allowAutoTopicCreation;
    const topics =
      req.topics === null
        ? state.topics.names().map((name) => describe(state, name, false))
        : req.topics.map((name) => describe(state, name, autoCreate));
    return respond(encode(ctx.header.apiVersion, state, topics));
  },
  errorResponse(ctx: RequestContext, errorCode: number): HandlerResult {
    // Metadata has no top-level error: the injected code goes on every topic asked
    // about, while the broker list stays intact so the client can still connect.
    const { state } = ctx;
    const req = decode(ctx);
    const names = req.topics ?? state.topics.names();
    return respond(
      encode(
        ctx.header.apiVersion,
        state,
        names.map((name) => ({ errorCode, name, partitions: 0 })),
      ),
    );
  },
};
