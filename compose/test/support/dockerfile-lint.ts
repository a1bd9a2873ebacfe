/** One build stage of a Dockerfile: its base and its instructions (continuation lines joined). */
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly { readonly op: string; readonly args: string }[];
}

/** The stages of a Dockerfile, without comments. */
export function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: { from: string; name: string | undefined; instructions: { op: string; args: string }[] }[] =
    [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      result.push({ from: match?.[1] ?? args, name: match?.[2], instructions: [] });
    } else result.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
  }
  return result;
}

/**
 * What the project asks of every image: several stages, bases pinned by tag (never `latest` or
 * untagged), a non-root USER and a HEALTHCHECK in the final stage, and for Node images production
 * dependencies only (`npm ci --omit=dev`) with compiled JavaScript run by plain Node. Returns the
 * broken rules, empty when the Dockerfile keeps them all.
 */
export function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  const all = stages(text);
  const final = all.at(-1);
  if (all.length < 2 || final === undefined) return ['not a multi-stage build'];
  const names = new Set(all.map((stage) => stage.name).filter((name) => name !== undefined));
  for (const { from } of all) {
    if (names.has(from)) continue;
    const tag = /^[^@]+:([^:/@]+)$/.exec(from)?.[1];
    if (!from.includes('@sha256:') && (tag === undefined || tag === 'latest'))
      problems.push(`base image ${from} is not pinned by tag or digest`);
  }
  const users = final.instructions.filter((instruction) => instruction.op === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (user === undefined) problems.push('the final stage sets no USER (it would run as root)');
  else if (user === 'root' || user === '0') problems.push(`the final stage runs as ${user}`);
  if (!final.instructions.some((instruction) => instruction.op === 'HEALTHCHECK'))
    problems.push('the final stage has no HEALTHCHECK');
  const node = all.some((stage) => stage.from.startsWith('node:'));
  if (node) {
    const runs = all.flatMap((stage) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    if (!runs.some((run) => /\bnpm ci\b.*--omit=dev/.test(run)))
      problems.push('no production-only install (npm ci --omit=dev)');
    const cmd = final.instructions.filter((instruction) => instruction.op === 'CMD').at(-1)?.args ?? '';
    if (!/"node"/.test(cmd) || !/dist\/[^"]+\.js/.test(cmd) || /tsx|\.ts"/.test(cmd))
      problems.push(`the final CMD does not run compiled JavaScript with node: ${cmd}`);
    const copiesDev = final.instructions.some((i) => i.op === 'COPY' && /\bsrc\b/.test(i.args));
    if (copiesDev) problems.push('the final stage copies sources');
  }
  return problems;
}
