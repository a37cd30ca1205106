// The parser ships no types: what the metrics test reads of its result.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): { name: string; type: string; help: string; metrics: { value: string; labels?: Record<string, string> }[] }[]
}
