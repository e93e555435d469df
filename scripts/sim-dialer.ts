// Discrete-event simulation of a campaign driving the real dialer and pacing code on a simulated clock.
// Usage: npm run sim:dialer -- [--agents 20] [--answer 0.25] [--talk 180] [--wrap 20] [--hours 8] [--days 3]
//        [--seed 42] [--target 0.03] [--window 24] [--ring 25] [--modes progressive,predictive]
import { parseArgs } from 'node:util';
import { runSimulation, type SimulationOptions } from '../src/dialer/sim/simulation.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '20' }, answer: { type: 'string', default: '0.25' },
    talk: { type: 'string', default: '180' }, 'talk-cv': { type: 'string', default: '0.8' },
    wrap: { type: 'string', default: '20' }, 'wrap-cv': { type: 'string', default: '0.5' },
    hours: { type: 'string', default: '8' }, days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' }, target: { type: 'string', default: '0.03' },
    window: { type: 'string', default: '24' }, ring: { type: 'string', default: '25' },
    modes: { type: 'string', default: 'progressive,predictive' },
  },
});

const base: Omit<SimulationOptions, 'mode'> = {
  agents: Number(values.agents), answerRate: Number(values.answer), meanTalkS: Number(values.talk), talkCv: Number(values['talk-cv']),
  meanWrapS: Number(values.wrap), wrapCv: Number(values['wrap-cv']), shiftHours: Number(values.hours), days: Number(values.days),
  seed: Number(values.seed), abandonTarget: Number(values.target), abandonWindowH: Number(values.window), ringTimeoutS: Number(values.ring),
};
console.log(`sim:dialer ${JSON.stringify(base)}`);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
for (const mode of (values.modes ?? '').split(',') as SimulationOptions['mode'][]) {
  const t0 = performance.now();
  const r = await runSimulation({ ...base, mode });
  console.log(`\n== ${mode} (${((performance.now() - t0) / 1000).toFixed(1)} s wall)`);
  console.log(`talk min/agent-hour ${r.talkMinPerAgentHour.toFixed(1)}  idle ${r.idleMinPerAgentHour.toFixed(1)}  wrap ${r.wrapMinPerAgentHour.toFixed(1)}`);
  console.log(`dialed ${r.dialed}  answered ${r.answered}  abandoned ${r.abandoned}  abandon rate ${pct(r.abandonRate)}  worst rolling ${base.abandonWindowH} h window ${pct(r.maxRollingAbandonRate)} (checked every 5 min)  worst single hour ${pct(r.maxHourAbandonRate)}`);
  for (const d of r.perDay) console.log(`  day ${d.day}: answered ${d.answered} abandoned ${d.abandoned} (${pct(d.abandonRate)}) talk ${d.talkMinPerAgentHour.toFixed(1)} min/agent-h`);
}
