import { classifyFailure, RegistryError } from "../src/index.ts";

// What ingest does with a failed write depends on this: permanent failures
// are dead-lettered at once, transient ones retried while the database is
// away, unknown ones tried a few times. Codes as postgres.js and PGlite set
// them on the error (`code`).

const failure = (cause: unknown) => new RegistryError({ operation: "applyHeartbeats", message: "applyHeartbeats: boom", cause });
const withCode = (code: string) => failure(Object.assign(new Error("boom"), { code }));

describe("classifyFailure", () => {
  it.each([
    ["22P05", "untranslatable character (\\u0000 in jsonb)"],
    ["22P02", "invalid text representation (a lone surrogate in jsonb)"],
    ["22008", "datetime field overflow (year 0000)"],
    ["22003", "numeric value out of range"],
    ["22021", "invalid byte sequence for encoding (NUL in text)"],
    ["23505", "unique violation"],
    ["23502", "not-null violation"]
  ])("SQLSTATE %s (%s) is permanent: the data caused it", (code) => {
    expect(classifyFailure(withCode(code))).toBe("permanent");
  });

  it.each([
    ["08006", "connection failure"],
    ["08001", "cannot establish a connection"],
    ["57P01", "admin shutdown"],
    ["57P03", "cannot connect now (starting up)"],
    ["53300", "too many connections"],
    ["53100", "disk full"],
    ["40001", "serialization failure"],
    ["40P01", "deadlock"],
    ["ECONNREFUSED", "refused"],
    ["ECONNRESET", "reset"],
    ["CONNECTION_CLOSED", "postgres.js: closed"],
    ["CONNECT_TIMEOUT", "postgres.js: connect timeout"]
  ])("%s (%s) is transient: the database is away", (code) => {
    expect(classifyFailure(withCode(code))).toBe("transient");
  });

  it.each([
    ["42601", "syntax error"],
    ["42P01", "undefined table"],
    ["XX000", "internal error"],
    ["55000", "object not in prerequisite state"]
  ])("SQLSTATE %s (%s) is unknown: worth a few tries, not forever", (code) => {
    expect(classifyFailure(withCode(code))).toBe("unknown");
  });

  it("a value the driver cannot serialise (TypeError, RangeError without a code) is permanent", () => {
    expect(classifyFailure(failure(new TypeError("Do not know how to serialize a BigInt")))).toBe("permanent");
    expect(classifyFailure(failure(new RangeError("Invalid string length")))).toBe("permanent");
  });

  it("anything else without a code (a row that does not decode, a plain Error) is unknown", () => {
    expect(classifyFailure(failure(new Error("the statement returned no row")))).toBe("unknown");
    expect(classifyFailure(failure(undefined))).toBe("unknown");
  });
});
