import type { ChildProcess, StdioOptions } from 'node:child_process';

export const GATEWAY_DIR: string;
export const TEMPLATE: string;
export function templateVariables(template: string): string[];
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string;
export function startNginx(options: {
  readonly runDir: string;
  readonly values: Readonly<Record<string, string>>;
  readonly stdio?: StdioOptions;
}): ChildProcess;
