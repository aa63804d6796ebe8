// xml2js ships no types (and @types/xml2js is not installed); this declares
// only what nvidiaXml.ts calls, with the result left `unknown` so the parsed
// structure is checked before use.
declare module "xml2js" {
  interface ParserOptions {
    readonly explicitArray?: boolean;
    readonly trim?: boolean;
  }
  type ParseCallback = (error: Error | null, result: unknown) => void;
  const xml2js: {
    parseString(xml: string, options: ParserOptions, callback: ParseCallback): void;
  };
  export default xml2js;
}
