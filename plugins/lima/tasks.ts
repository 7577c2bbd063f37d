import type { AscTask } from '../../src/index.ts';
import { configTask } from './config-task.ts';
import { instanceTasks } from './instance-tasks.ts';
import type { LimaOptions } from './options.ts';
import { sshTasks } from './ssh-tasks.ts';

/** The lima plugin's tasks, in the order they are listed. */
export function limaTasks(options: LimaOptions, instance: string): AscTask[] {
  const { installed, created, running } = instanceTasks(options, instance);
  return [installed, created, configTask(options, instance), running, ...sshTasks(instance)];
}
