export class YamlError extends Error {}
export function parseYaml(text: string): unknown;
export function resolvePlain(text: string): unknown;
