import { FaultInjector } from './faults.ts';
import { TopicStore } from './log.ts';
import { ProducerStateTable } from './producer-state.ts';

/**
 * Everything the broker knows that outlives a connection or a restart():
 * topics and records, idempotence state, issued producer ids, settings and
 * pending faults. Only the listener and sockets are recreated on restart.
 */
export class BrokerState {
  /** This broker's node id; it is also the controller and every partition's leader. */
  readonly nodeId = 0;
  readonly clusterId = 'wa-router-test-cluster';
  readonly topics = new TopicStore();
  readonly producers = new ProducerStateTable();
  readonly faults = new FaultInjector();
  /** Advertised in Metadata; set once the listener has a port. */
  host = '127.0.0.1';
  port = 0;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** Largest accepted record batch in bytes (Kafka's max.message.bytes, default 1048588). */
  maxMessageBytes = 1_048_588;
  private nextProducerId = 1000n;

  constructor(options: { autoCreateTopics: boolean; defaultPartitions: number }) {
    this.autoCreateTopics = options.autoCreateTopics;
    this.defaultPartitions = options.defaultPartitions;
  }

  allocateProducerId(): bigint {
    return this.nextProducerId++;
  }
}
