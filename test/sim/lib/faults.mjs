// Faults a test asks of the simulated Mac (`mac.failAt`): the next call of a fake tool whose argv holds the
// given arguments, in order, dies of SIGKILL, as a tool that crashed or was killed would. Each fault fires
// once and is then gone, so the next run finds a healthy Mac. Kept in `<sim root>/faults.json`.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `args` appear in `argv` in this order, others allowed between them. */
function holds(argv, args) {
  let at = 0;
  for (const arg of argv) if (arg === args[at]) at++;
  return at === args.length;
}

/** Called first by a fake tool with its name and argv: dies here when a fault names this call. */
export function injectFault(tool, argv) {
  const root = process.env.FAKE_SIM_ROOT;
  if (!root) return;
  const file = path.join(root, 'faults.json');
  if (!existsSync(file)) return;
  const faults = JSON.parse(readFileSync(file, 'utf8'));
  const index = faults.findIndex((fault) => fault.tool === tool && holds(argv, fault.args));
  if (index === -1) return;
  faults.splice(index, 1);
  writeFileSync(`${file}.tmp`, JSON.stringify(faults));
  renameSync(`${file}.tmp`, file);
  process.kill(process.pid, 'SIGKILL');
}
