import { AscError } from './errors.ts';
import type { AscAgent, AscAgentSpec, AscCalendarInterval } from './types.ts';

/** launchd's StartCalendarInterval keys and the values each takes (launchd.plist(5)). */
const RANGES: Record<keyof AscCalendarInterval, [number, number]> = {
  minute: [0, 59],
  hour: [0, 23],
  day: [1, 31],
  weekday: [0, 7],
  month: [1, 12],
};

/**
 * A plugin's agents, checked: an id of lower-case words, unique in the plugin; a title; asc arguments; and at
 * least one calendar time whose keys are launchd's, each a whole number in its range. A bad agent is the
 * plugin's bug, reported like a hook that threw (exit 2, nothing changed).
 */
export function checkAgents(plugin: string, agents: readonly AscAgent[]): AscAgentSpec[] {
  const seen = new Set<string>();
  return agents.map((agent) => {
    const problem = agentProblem(agent, seen);
    if (problem) {
      throw new AscError(`plugin ${plugin}: agent ${JSON.stringify(agent.id)}: ${problem}`, {
        code: 'E_PLUGIN_INVALID',
      });
    }
    seen.add(agent.id);
    return { ...agent, plugin, args: [...agent.args], schedule: agent.schedule.map((time) => ({ ...time })) };
  });
}

function agentProblem(agent: AscAgent, seen: ReadonlySet<string>): string | undefined {
  if (typeof agent.id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(agent.id))
    return 'its id must be lower-case words joined by "-"';
  if (seen.has(agent.id)) return 'the plugin gives two agents this id';
  if (typeof agent.title !== 'string' || agent.title === '') return 'it needs a title';
  if (!Array.isArray(agent.args) || agent.args.length === 0 || agent.args.some((a) => typeof a !== 'string'))
    return "its args must be asc's arguments, as strings";
  if (!Array.isArray(agent.schedule) || agent.schedule.length === 0)
    return 'its schedule needs at least one calendar time';
  for (const time of agent.schedule) {
    for (const [key, value] of Object.entries(time)) {
      const range = RANGES[key as keyof AscCalendarInterval];
      if (!range) return `schedule key ${key} is not one of ${Object.keys(RANGES).join(', ')}`;
      if (!Number.isInteger(value) || value < range[0] || value > range[1])
        return `schedule ${key} must be a whole number from ${range[0]} to ${range[1]}, got ${String(value)}`;
    }
  }
  return undefined;
}

/** Every `minutes` minutes, on the clock (`5` → :00, :05, … :55); `minutes` must divide 60. */
export function everyMinutes(minutes: number): AscCalendarInterval[] {
  if (!Number.isInteger(minutes) || minutes < 1 || 60 % minutes !== 0)
    throw new RangeError(`everyMinutes: ${minutes} does not divide an hour`);
  return Array.from({ length: 60 / minutes }, (_, i) => ({ minute: i * minutes }));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A schedule in words: `every 5 minutes`, `every day at 03:00`, `every hour at :30`, or launchd's keys. */
export function describeSchedule(schedule: readonly AscCalendarInterval[]): string {
  const minutesOnly = schedule.every((t) => Object.keys(t).length === 1 && t.minute !== undefined);
  if (minutesOnly && schedule.length > 1) {
    const step = (schedule[1]?.minute ?? 0) - (schedule[0]?.minute ?? 0);
    const even = schedule.every((t, i) => t.minute === (schedule[0]?.minute ?? 0) + i * step);
    if (even && step > 0 && step * schedule.length === 60) return `every ${step} minutes`;
  }
  return schedule.map(describeTime).join('; ');
}

function describeTime(time: AscCalendarInterval): string {
  const keys = Object.keys(time).sort().join(',');
  if (keys === '') return 'every minute';
  if (keys === 'minute') return `every hour at :${pad(time.minute ?? 0)}`;
  if (keys === 'hour,minute') return `every day at ${pad(time.hour ?? 0)}:${pad(time.minute ?? 0)}`;
  return Object.entries(time)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}
