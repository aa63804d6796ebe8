// The package ships no types; what it returns is decoded (prometheus.ts), never trusted.
declare module "parse-prometheus-text-format" {
  const parsePrometheusTextFormat: (text: string) => unknown;
  export default parsePrometheusTextFormat;
}
