/**
 * Shared test helpers: one way to run effects in tests (with a TestClock), and
 * per-suite isolation on the real PostgreSQL and RabbitMQ that the Jest
 * globalSetup resolved into DATABASE_URL / AMQP_URL.
 */
export { runTest, runLive } from "./run.ts";
export { testDatabase, type TestDatabase } from "./database.ts";
export { testQueues, uniqueName, type TestQueues } from "./queues.ts";
export { serviceUrls } from "./urls.ts";
export {
  makeFakeGpuTools,
  nvidiaCsv,
  NVIDIA_DRIVER_FAILURE,
  RTX_4090,
  RTX_3060,
  type FakeGpuTools,
  type FakeNvidiaGpu,
  type FakeReply,
  type FakeTool
} from "./fakeGpuTools.ts";
export { readReplyQueue, type ReplyQueueReader } from "./replyQueue.ts";
export { brokerProxy, startTcpProxy, type TcpProxy } from "./tcpProxy.ts";
export { freePort } from "./ports.ts";
export {
  httpReceiver,
  parseMail,
  scopedHttpReceiver,
  scopedSmtpSink,
  smtpSink,
  type HttpReceiver,
  type ReceivedMail,
  type ReceivedRequest,
  type ReceiverAnswer,
  type SmtpSink
} from "./alertReceivers.ts";
export { testCertificates, type CertificateFiles, type TestCertificates } from "./certificates.ts";
export { eventually, until } from "./eventually.ts";
export { histogramBuckets, metricByLabel, metricSum, parseMetrics, type Scrape } from "./prometheus.ts";
export { fixturesPolicy, gpuFixturesDir, missingFixturesError } from "./fixtures.ts";
export { uploadBody, type UploadReply } from "./upload.ts";
export {
  heartbeat,
  replyPublisher,
  resources,
  shutdown,
  workRequest,
  workResult,
  type HeartbeatInput,
  type ReplyPublisher
} from "./wire.ts";
