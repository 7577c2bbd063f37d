import { describe, expect, it } from 'vitest';
import { checkAgents, describeSchedule, everyMinutes } from './agents.ts';

const agent = { id: 'schedule', title: 'back up the guest home', args: ['backup'], schedule: [{ hour: 3 }] };

describe('checkAgents', () => {
  it('keeps a good agent, with its plugin', () => {
    expect(checkAgents('backup', [agent])).toEqual([{ ...agent, plugin: 'backup' }]);
  });

  it.each([
    [{ ...agent, id: 'Back Up' }, 'its id must be lower-case words joined by "-"'],
    [{ ...agent, title: '' }, 'it needs a title'],
    [{ ...agent, args: [] }, "its args must be asc's arguments, as strings"],
    [{ ...agent, schedule: [] }, 'its schedule needs at least one calendar time'],
    [{ ...agent, schedule: [{ minute: 60 }] }, 'schedule minute must be a whole number from 0 to 59, got 60'],
    [{ ...agent, schedule: [{ hour: 1.5 }] }, 'schedule hour must be a whole number from 0 to 23, got 1.5'],
    [
      { ...agent, schedule: [{ Minute: 5 }] },
      'schedule key Minute is not one of minute, hour, day, weekday, month',
    ],
  ])('refuses %j: %s', (bad, problem) => {
    expect(() => checkAgents('backup', [bad as typeof agent])).toThrow(
      `plugin backup: agent ${JSON.stringify(bad.id)}: ${problem}`,
    );
  });

  it('refuses two agents with one id', () => {
    expect(() => checkAgents('backup', [agent, agent])).toThrow('the plugin gives two agents this id');
  });
});

describe('schedules', () => {
  it('everyMinutes is on the clock, and only for a divisor of an hour', () => {
    expect(everyMinutes(15)).toEqual([{ minute: 0 }, { minute: 15 }, { minute: 30 }, { minute: 45 }]);
    expect(() => everyMinutes(7)).toThrow('7 does not divide an hour');
  });

  it('says a schedule in words', () => {
    expect(describeSchedule(everyMinutes(5))).toBe('every 5 minutes');
    expect(describeSchedule([{ hour: 3, minute: 0 }])).toBe('every day at 03:00');
    expect(describeSchedule([{ minute: 30 }])).toBe('every hour at :30');
    expect(describeSchedule([{ weekday: 1, hour: 9, minute: 0 }])).toBe('weekday 1, hour 9, minute 0');
  });
});
