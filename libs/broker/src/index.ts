/**
 * @homelab/broker — rabbitmq-client for both apps, in one place: the
 * agent's connection (one attempt at a time, `lost` when it drops; the agent
 * retries on its schedule), the orchestrator's shared connection (reconnected
 * by the client), the raw-bytes reply consumer with coalesced acks and
 * dead-lettering, confirmed publishing of protocol messages, and the one
 * reach into the client's internals (rawBodies.ts, with its version guard).
 */
export { makeAckTracker, type Settlement } from "./AckTracker.ts";
export { Amqp } from "./Amqp.ts";
export {
  Broker,
  type BrokerConnection,
  ConnectFailed,
  type ConsumeOptions,
  type Delivery,
  type Disposition,
  PublishFailed
} from "./Broker.ts";
export {
  AMQP_TLS_DOC,
  AMQP_TLS_ENV,
  AMQP_TLS_FIELDS,
  addressOf,
  type AmqpEndpoint,
  amqpEndpoint,
  type AmqpTlsSettings,
  connectionOptions,
  describeConnectError,
  endpointOf
} from "./endpoint.ts";
export {
  agentPermissions,
  BrokerAdminFailed,
  type BrokerUserAdmin,
  declareAgentQueues,
  deleteAgentQueue,
  managementApiAdmin,
  type Permissions,
  rabbitmqctlAdmin
} from "./BrokerUsers.ts";
export { brokerUserOf, messageBody, messageProperties } from "./publish.ts";
export {
  connectRoundDelay,
  RECONNECT_ATTEMPTS,
  RECONNECT_BASE,
  RECONNECT_CAP,
  type ReconnectOptions,
  reconnectSchedule
} from "./schedules.ts";
export { consumeReplies, type DeliveryFacts, type Handled, type ReplyConsumerOptions, type ReplyHandler } from "./ReplyConsumer.ts";
