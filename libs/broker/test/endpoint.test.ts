// The broker endpoint: TLS settings read and checked at start-up (one line
// each, exit 78 in the apps), and TLS refusals from a real TLS peer put in
// words that name the broker and the setting that fixes it.
import { readFileSync } from "node:fs";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Effect, Redacted } from "effect";
import { runLive, testCertificates, type TestCertificates } from "@homelab/testing";
import { amqpEndpoint, endpointOf } from "../src/endpoint.ts";
import { Broker } from "../src/Broker.ts";

const files: Record<string, string> = {
  "/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  "/client.pem": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
  "/client.key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
  "/notes.txt": "not a certificate\n"
};
const readFile = (path: string) =>
  path in files ? Effect.succeed(files[path] as string) : Effect.fail(new Error(`ENOENT: no such file or directory, open '${path}'`));

const endpoint = ({ amqp_url = "amqps://agent:pw@broker.lan", ...tlsFiles }: Record<string, string>) =>
  runLive(Effect.result(amqpEndpoint({ amqp_url: Redacted.make(amqp_url), ...tlsFiles }, readFile)));

describe("amqpEndpoint: TLS settings", () => {
  it("amqps:// with a CA, a client certificate and its key gives TLS options holding the files' PEM text", async () => {
    const result = await endpoint({ amqp_ca_file: "/ca.pem", amqp_cert_file: "/client.pem", amqp_key_file: "/client.key" });
    expect(result._tag).toBe("Success");
    if (result._tag !== "Success") return;
    expect(result.success.address).toBe("broker.lan:5671");
    expect(result.success.tls).toEqual({ ca: files["/ca.pem"], cert: files["/client.pem"], key: files["/client.key"] });
  });

  it("amqps:// with no files verifies the broker against the system's CAs; amqp:// has no TLS", async () => {
    const secure = await endpoint({});
    const plain = await endpoint({ amqp_url: "amqp://guest:guest@127.0.0.1" });
    expect(secure._tag === "Success" && secure.success.tls).toEqual({});
    expect(plain._tag === "Success" && [plain.success.tls, plain.success.address]).toEqual([undefined, "127.0.0.1:5672"]);
  });

  it.each([
    [{ amqp_ca_file: "/missing.pem" }, "amqp_ca_file (AMQP_CA_FILE): cannot read /missing.pem: ENOENT: no such file or directory, open '/missing.pem'"],
    [{ amqp_ca_file: "/notes.txt" }, "amqp_ca_file (AMQP_CA_FILE): /notes.txt is not a PEM certificate (-----BEGIN CERTIFICATE-----)"],
    [{ amqp_cert_file: "/client.pem" }, "amqp_cert_file and amqp_key_file go together: set both or neither"],
    [{ amqp_cert_file: "/client.pem", amqp_key_file: "/client.pem" }, "amqp_key_file (AMQP_KEY_FILE): /client.pem is not a PEM private key (-----BEGIN PRIVATE KEY-----)"],
    [{ amqp_url: "amqp://broker.lan", amqp_ca_file: "/ca.pem" }, "amqp_ca_file is set but amqp_url is amqp:// (no TLS): use an amqps:// URL (port 5671 by default)"]
  ])("%j is refused with one line naming the setting", async (settings, message) => {
    const result = await endpoint(settings);
    expect(result._tag === "Failure" && result.failure).toBe(message);
  });
});

describe("connecting over TLS to a real TLS peer", () => {
  let certs: TestCertificates;
  let server: tls.Server;
  let port = 0;
  beforeAll(async () => {
    certs = testCertificates();
    // Valid for localhost only, so 127.0.0.1 is a name mismatch.
    const pair = certs.issue("broker", ["localhost"]);
    server = tls.createServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, (socket) => socket.end());
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    certs.remove();
  });

  const connect = (url: string, ca?: string) =>
    runLive(
      Effect.gen(function* () {
        const broker = yield* Broker;
        return yield* Effect.flip(broker.connect);
      }).pipe(Effect.provide(Broker.layer({ ...endpointOf(url), tls: ca === undefined ? {} : { ca: readFileSync(ca) } }, 3000)))
    );

  it("a broker whose CA is not trusted: the error names its address and AMQP_CA_FILE", async () => {
    const error = await connect(`amqps://guest:guest@localhost:${port}`);
    expect(error.message).toBe(
      `TLS: the certificate of localhost:${port} is not signed by a CA this process trusts (unable to verify the first certificate); set AMQP_CA_FILE to the CA that signed it`
    );
  });

  it("a trusted certificate for another name: the error names the address and the mismatch", async () => {
    const error = await connect(`amqps://guest:guest@127.0.0.1:${port}`, certs.caFile);
    expect(error.message).toMatch(new RegExp(`^TLS: the certificate of 127\\.0\\.0\\.1:${port} is not valid for that host name \\(.*127\\.0\\.0\\.1.*\\); connect with a name the certificate lists$`));
  });

  it("a trusted certificate for the right name gets past TLS (this peer then hangs up, which is not a TLS error)", async () => {
    const error = await connect(`amqps://guest:guest@localhost:${port}`, certs.caFile);
    expect(error.message).not.toMatch(/^TLS:/);
  });
});
