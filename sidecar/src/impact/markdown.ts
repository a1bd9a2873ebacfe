import type { CandidateSignature } from './candidate.js';
import { CHANGE_KINDS, type ChangeKind, type OutcomeSummary } from './change.js';
import type { ImpactExample, ImpactGroup, ImpactReport } from './report.js';

const KIND_LABELS: Readonly<Record<ChangeKind, string>> = {
  allow_to_deny: 'allow → deny',
  deny_to_allow: 'deny → allow',
  visibility: 'visibility',
  redaction: 'redaction',
  step_up: 'step-up',
  reasons: 'reasons',
  messages: 'reason messages',
  filter: 'list filter',
  value: 'value',
  outcome: 'no usable decision or error',
};

/** The report as Markdown, for a pull-request comment or a terminal. */
export function renderMarkdown(report: ImpactReport): string {
  const { candidate, log, summary } = report;
  const lines: string[] = [];
  lines.push(`# Policy impact of revision \`${candidate.revision || '(none)'}\``, '');
  lines.push(
    `- **Candidate**: \`${candidate.source}\` (${candidate.kind === 'bundle' ? 'bundle' : 'policies directory'}, revision \`${candidate.revision || '(none)'}\`): ${signatureText(candidate.signature)}`,
  );
  const period =
    log.first_timestamp === null
      ? ''
      : ` from ${log.first_timestamp} to ${log.last_timestamp ?? log.first_timestamp}`;
  const revisions = Object.entries(log.revisions)
    .map(([revision, count]) => `\`${revision}\` (${count})`)
    .join(', ');
  lines.push(
    `- **Decision log**: \`${log.path}\`: ${log.events} events replayed${period}${log.since === null ? '' : ` (since ${log.since})`}${revisions === '' ? '' : `, recorded by ${revisions}`}`,
  );
  const skipped = Object.entries(log.skipped).map(
    ([reason, count]) => `${count} ${reason.replaceAll('_', ' ')}`,
  );
  if (skipped.length > 0) lines.push(`- **Skipped lines**: ${skipped.join(', ')}`);
  lines.push('');
  lines.push(`**${verdictText(report)}**`, '');
  lines.push('| decisions | unchanged | changed | cannot replay | acknowledged | not acknowledged |');
  lines.push('|---:|---:|---:|---:|---:|---:|');
  lines.push(
    `| ${summary.decisions} | ${summary.unchanged} | ${summary.changed} | ${summary.cannot_replay} | ${summary.acknowledged} | ${summary.unacknowledged} |`,
  );
  const kinds = CHANGE_KINDS.filter((kind) => summary.kinds[kind] > 0);
  if (kinds.length > 0) {
    lines.push(
      '',
      `Changes by kind: ${kinds.map((kind) => `${KIND_LABELS[kind]} ${summary.kinds[kind]}`).join(', ')}.`,
    );
  }
  if (report.changes.length > 0) {
    lines.push('', '## Changes by action and reason');
    for (const group of report.changes) lines.push(...groupSection(group));
  }
  if (report.cannot_replay.length > 0) {
    lines.push('', '## Cannot replay', '');
    lines.push(
      'These decisions depend on input fields the decision log masked (`DECISION_LOG_MASK`, credentials), or their line could not be read; they were not guessed.',
    );
    for (const group of report.cannot_replay) lines.push(...groupSection(group));
  }
  const acks = report.acknowledgements;
  if (acks !== null) {
    lines.push('', '## Acknowledgements', '');
    lines.push(`\`${acks.path}\`: ${acks.entries} entries, ${summary.acknowledged} decisions acknowledged.`);
    if (acks.unused.length > 0)
      lines.push(`Entries that acknowledged nothing: ${acks.unused.map((e) => `\`${e}\``).join(', ')}.`);
  }
  lines.push('', `Replayed in ${summary.elapsed_ms} ms (${summary.events_per_second} events/s).`, '');
  return lines.join('\n');
}

function verdictText(report: ImpactReport): string {
  const { summary } = report;
  if (summary.changed === 0 && summary.cannot_replay === 0) return 'No decision changes: exit 0.';
  const parts = [`${summary.changed} decisions change`];
  if (summary.cannot_replay > 0) parts.push(`${summary.cannot_replay} cannot be replayed`);
  const acknowledged =
    summary.unacknowledged === 0 ? 'all acknowledged' : `${summary.unacknowledged} not acknowledged`;
  return `${parts.join(', ')}; ${acknowledged}: exit ${report.exit_code}.`;
}

function signatureText(signature: CandidateSignature): string {
  switch (signature.status) {
    case 'unsigned':
      return 'unsigned';
    case 'signed':
      return `signed${signature.keyid === null ? '' : ` (keyid \`${signature.keyid}\`)`}, signature not checked (no --keys)`;
    case 'verified':
      return `signed and verified${signature.keyid === null ? '' : ` (keyid \`${signature.keyid}\`)`}`;
    case 'invalid':
      return `signed, but the signature does NOT verify (${signature.reason}: ${signature.detail})`;
    case 'built':
      return 'built from source for this analysis, not signed for release';
  }
}

function groupSection(group: ImpactGroup): string[] {
  const kinds = CHANGE_KINDS.filter((kind) => (group.kinds[kind] ?? 0) > 0)
    .map((kind) => `${KIND_LABELS[kind]} ${group.kinds[kind] ?? 0}`)
    .join(', ');
  const acknowledged = group.acknowledged === 0 ? '' : `, ${group.acknowledged} acknowledged`;
  const lines = ['', `### \`${group.action}\` / \`${group.reason}\`: ${group.count}${acknowledged}`, ''];
  if (kinds !== '') lines.push(kinds, '');
  lines.push('| decision | subject | resource | recorded | candidate |', '|---|---|---|---|---|');
  for (const example of group.examples) lines.push(exampleRow(example));
  if (group.count > group.examples.length)
    lines.push('', `… and ${group.count - group.examples.length} more.`);
  return lines;
}

function exampleRow(example: ImpactExample): string {
  const id = `\`${example.decision_id}\`${example.acknowledged ? ' (acknowledged)' : ''}`;
  const after =
    example.after === null
      ? `cannot replay${example.masked.length === 0 ? '' : `: depends on masked ${example.masked.map((p) => `\`${p}\``).join(', ')}`}`
      : outcomeText(example.after);
  const cells = [
    id,
    example.subject ?? '–',
    example.resource_id ?? '–',
    example.before === null ? '–' : outcomeText(example.before),
    after,
  ];
  return `| ${cells.map(cell).join(' | ')} |`;
}

function outcomeText(outcome: OutcomeSummary): string {
  switch (outcome.outcome) {
    case 'decision': {
      const parts = [outcome.allow ? 'allow' : outcome.visible ? 'deny' : 'deny (hidden)'];
      if (outcome.reasons.length > 0) parts.push(outcome.reasons.join(', '));
      if (outcome.redact.length > 0) parts.push(`redact ${outcome.redact.join(', ')}`);
      if (outcome.step_up !== undefined)
        parts.push(`step-up ${outcome.step_up.acr_values} max_age ${outcome.step_up.max_age}`);
      return parts.join('; ');
    }
    case 'filter':
      return outcome.any_of.length === 0
        ? 'no rows'
        : outcome.any_of.map((clause) => JSON.stringify(clause)).join(' or ');
    case 'value':
      return JSON.stringify(outcome.value);
    case 'no_decision':
      return 'no usable decision';
    case 'error':
      return `error ${outcome.code}`;
  }
}

/** A table cell: pipes escaped, no line breaks. */
function cell(text: string): string {
  return text
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replaceAll(/\s*\n\s*/g, ' ');
}
