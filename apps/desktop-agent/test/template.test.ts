import { Result } from "effect";
import { expandCommand, slotsOf, templateProblem } from "../src/work/template.ts";

const expand = (command: ReadonlyArray<string>, params: Record<string, string>) => {
  const result = expandCommand(command, params);
  return Result.isSuccess(result) ? { argv: result.success } : { rejected: result.failure };
};

describe("task templates: validation at config load", () => {
  it.each<[string, ReadonlyArray<string>]>([
    ["whole-element slots", ["ffmpeg", "-i", "{input}", "{output}"]],
    ["a slot inside an element", ["ffmpeg", "--out={output}", "-x{a}y{b}z"]],
    ["doubled braces as literal text", ["printf", "{{}}", "{{{name}}}", "a}}b{{c"]],
    ["slot names with _ and digits", ["run", "{_x}", "{a1_B2}"]],
    ["no slots at all", ["uptime"]]
  ])("accepts %s", (_what, command) => {
    expect(templateProblem(command)).toBeUndefined();
  });

  it.each<[string, ReadonlyArray<string>, number, string]>([
    ["an unclosed {", ["echo", "{message"], 1, "has a { that is never closed; write {{ for a literal {"],
    ["a } that closes nothing", ["echo", "a}b"], 1, "has a } that closes no slot; write }} for a literal }"],
    ["a lone } after a slot", ["echo", "{a}}"], 1, "has a } that closes no slot; write }} for a literal }"],
    [
      "a slot name with a space",
      ["echo", "ok", "{mes sage}"],
      2,
      "has an invalid slot {mes sage}: a slot name is a letter or _ followed by letters, digits or _ (write {{ and }} for literal braces)"
    ],
    ["a slot name starting with a digit", ["echo", "{1st}"], 1, "has an invalid slot {1st}"],
    ["an empty slot", ["echo", "{}"], 1, "has an invalid slot {}"],
    ["a slot name with a dash", ["echo", "{out-file}"], 1, "has an invalid slot {out-file}"],
    ["a slot as the program", ["{tool}", "-v"], 0, "is the program to run, which cannot hold a slot; params may fill only its arguments"],
    ["a slot inside the program path", ["/opt/tools/{name}"], 0, "is the program to run, which cannot hold a slot"]
  ])("refuses %s, naming the element", (_what, command, index, problem) => {
    const found = templateProblem(command);
    expect(found?.index).toBe(index);
    expect(found?.problem).toContain(problem);
  });

  it("lists a template's slots once each, in order", () => {
    expect(slotsOf(["cp", "{src}", "{dst}", "--log={src}.log", "{{literal}}"])).toEqual(["src", "dst"]);
  });
});

describe("task templates: expansion", () => {
  it("fills whole-element and partial slots and turns {{ }} into braces", () => {
    expect(expand(["ffmpeg", "-i", "{input}", "--out={output}", "{{x}}"], { input: "in.mkv", output: "out.mp4" })).toEqual({
      argv: ["ffmpeg", "-i", "in.mkv", "--out=out.mp4", "{x}"]
    });
  });

  it("uses a param in every slot of that name", () => {
    expect(expand(["cp", "{f}", "{f}.bak"], { f: "a.txt" })).toEqual({ argv: ["cp", "a.txt", "a.txt.bak"] });
  });

  it("rejects a request that leaves a slot without a param, naming it", () => {
    expect(expand(["ffmpeg", "-i", "{input}", "{output}"], { input: "in.mkv" })).toEqual({
      rejected: 'missing param "output"; the command takes "input", "output"'
    });
  });

  it("names every missing param", () => {
    expect(expand(["cp", "{src}", "{dst}"], {})).toEqual({ rejected: 'missing params "src", "dst"; the command takes "src", "dst"' });
  });

  it("rejects a param that has no slot (a likely typo), naming it", () => {
    expect(expand(["ffmpeg", "-i", "{input}", "{output}"], { input: "a", output: "b", outptu: "c" })).toEqual({
      rejected: 'unknown param "outptu"; the command takes "input", "output"'
    });
  });

  it("rejects any param for a command without slots", () => {
    expect(expand(["uptime"], { verbose: "1" })).toEqual({ rejected: 'unknown param "verbose"; the command takes no params' });
  });

  it("does not take a slot named like an Object property from the prototype", () => {
    expect(expand(["echo", "{constructor}", "{toString}"], {})).toEqual({
      rejected: 'missing params "constructor", "toString"; the command takes "constructor", "toString"'
    });
  });

  it.each([
    ["a shell command separator", "x; rm -rf ~"],
    ["command substitution", "$(id)"],
    ["backticks", "`id`"],
    ["spaces", "a b"],
    ["a glob", "*"],
    ["quotes", `"a" 'b'`],
    ["a newline", "a\nb"],
    ["a pipe and redirection", "a | cat > /tmp/x"],
    ["a variable", "$HOME"],
    ["braces that look like a slot", "{output}"]
  ])("passes a value holding %s verbatim as one argument", (_what, value) => {
    expect(expand(["echo", "{message}", "{output}"], { message: value, output: "o" })).toEqual({ argv: ["echo", value, "o"] });
    expect(expand(["echo", "--msg={message}", "{output}"], { message: value, output: "o" })).toEqual({
      argv: ["echo", `--msg=${value}`, "o"]
    });
  });

  it("does not expand a slot's value again (a value holding {name} stays literal)", () => {
    expect(expand(["cp", "{a}", "{b}"], { a: "{b}", b: "{a}" })).toEqual({ argv: ["cp", "{b}", "{a}"] });
  });

  it("rejects a value with a NUL character, which no argument can carry", () => {
    expect(expand(["echo", "{message}"], { message: "a\0b" })).toEqual({
      rejected: 'param "message" holds a NUL character, which no argument can carry'
    });
  });
});
