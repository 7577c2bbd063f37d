import { AscError } from '../core/errors.ts';
import type { TaskGraph } from '../core/graph.ts';
import type { GlobalOptions } from './io.ts';
import { type CommandEnv, openSession } from './session.ts';

/** `asc graph`: the task graph as Mermaid (renders on GitHub) or Graphviz DOT; an arrow goes from a need to its dependent. */
export async function graph(options: GlobalOptions & { format?: string }, ctx: CommandEnv): Promise<number> {
  const format = options.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot') {
    throw new AscError(`--format ${format}: expected mermaid or dot`, { code: 'E_USAGE' });
  }
  const { io, session } = await openSession(options, ctx);
  const text = format === 'mermaid' ? toMermaid(session.graph) : toDot(session.graph);
  if (!io.json) {
    io.document(text);
    return 0;
  }
  const edges = [...session.graph.tasks.keys()].flatMap((id) =>
    (session.graph.needs.get(id) ?? []).map((need) => ({ from: need, to: id })),
  );
  const nodes = [...session.graph.tasks.values()].map((task) => ({
    id: task.id,
    plugin: task.plugin,
    phase: task.phase ?? null,
  }));
  io.document(JSON.stringify({ format, nodes, edges, text }, null, 2));
  return 0;
}

export function toMermaid(graph: TaskGraph): string {
  const ids = [...graph.tasks.keys()];
  const node = new Map(ids.map((id, index) => [id, `t${index}`]));
  const lines = ['flowchart LR'];
  for (const group of graph.groups) {
    lines.push(`  subgraph ${group}`);
    for (const id of ids.filter((i) => graph.tasks.get(i)?.plugin === group))
      lines.push(`    ${node.get(id)}["${id}"]`);
    lines.push('  end');
  }
  for (const id of ids)
    for (const need of graph.needs.get(id) ?? []) lines.push(`  ${node.get(need)} --> ${node.get(id)}`);
  return lines.join('\n');
}

export function toDot(graph: TaskGraph): string {
  const ids = [...graph.tasks.keys()];
  const lines = ['digraph asc {', '  rankdir=LR;', '  node [shape=box];'];
  for (const group of graph.groups) {
    lines.push(`  subgraph "cluster_${group}" {`, `    label="${group}";`);
    for (const id of ids.filter((i) => graph.tasks.get(i)?.plugin === group)) lines.push(`    "${id}";`);
    lines.push('  }');
  }
  for (const id of ids) for (const need of graph.needs.get(id) ?? []) lines.push(`  "${need}" -> "${id}";`);
  lines.push('}');
  return lines.join('\n');
}
