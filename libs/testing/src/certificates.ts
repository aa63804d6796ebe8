import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** PEM files written by `testCertificates`, each readable by any user (the broker may run as another). */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TestCertificates {
  readonly dir: string;
  /** The test CA's certificate (what a client names in AMQP_CA_FILE). */
  readonly caFile: string;
  /** Issues a certificate signed by the test CA for `names` (DNS names or IP addresses, all in subjectAltName). */
  readonly issue: (label: string, names: ReadonlyArray<string>) => CertificateFiles;
  /** A certificate from a second CA that nobody trusts, for the refusal cases. */
  readonly untrusted: (label: string, names: ReadonlyArray<string>) => CertificateFiles;
  readonly remove: () => void;
}

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

const openssl = (args: ReadonlyArray<string>, cwd: string) => execFileSync("openssl", [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });

/**
 * A throwaway CA and certificates made with the real `openssl` CLI (2-day
 * RSA 2048), in a temporary directory the caller removes.
 */
export const testCertificates = (): TestCertificates => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "test-ca-"));
  chmodSync(dir, 0o755);
  const makeCa = (name: string) => {
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=${name}`], dir);
    return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  };
  const ca = makeCa("homelab-test-ca");
  const other = makeCa("untrusted-test-ca");
  const sign = (signer: CertificateFiles, label: string, names: ReadonlyArray<string>): CertificateFiles => {
    const key = path.join(dir, `${label}.key`);
    const cert = path.join(dir, `${label}.pem`);
    const ext = path.join(dir, `${label}.ext`);
    writeFileSync(ext, `subjectAltName=${names.map((n) => (IP.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",")}\n`);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", `${label}.csr`, "-subj", `/CN=${names[0] ?? label}`], dir);
    openssl(["x509", "-req", "-in", `${label}.csr`, "-CA", signer.cert, "-CAkey", signer.key, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], dir);
    for (const file of [key, cert]) chmodSync(file, 0o644);
    return { cert, key };
  };
  for (const file of [ca.cert, other.cert]) chmodSync(file, 0o644);
  return {
    dir,
    caFile: ca.cert,
    issue: (label, names) => sign(ca, label, names),
    untrusted: (label, names) => sign(other, label, names),
    remove: () => rmSync(dir, { recursive: true, force: true })
  };
};
