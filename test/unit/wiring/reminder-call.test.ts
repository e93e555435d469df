import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptSet } from '../../../src/media/prompts.js';
import { portfolioSchema, type Payment } from '../../../src/scheduler/payment-schema.js';
import { promptReminderCall } from '../../../src/wiring/reminder-call.js';
import { FakeQueueEntry, ScriptedChannel, silentLog } from '../../support/scheduler-fakes.js';

/** The reminder call over the generated prompt set (var/prompts): real files are played, keys act. */
const dir = join(import.meta.dirname, '../../../var/prompts');
const payment: Payment = {
  id: 'pay-1', portfolioId: 'pf', account: 'ACC-9', customer: 'Li Lei', phone: '+8613800138000', amount: 1234.5, currency: 'CNY',
  dueDate: '2026-12-01', timezone: 'Asia/Shanghai', status: 'pending', reached: false, steps: [], createdAt: 0, updatedAt: 0,
};
const portfolio = portfolioSchema.parse({ id: 'pf', allowedPrefixes: ['+86'], queueId: 'collections' });

describe.skipIf(!existsSync(join(dir, 'en')))('promptReminderCall', () => {
  it('plays existing prompt files; key 1 queues the call for an agent', async () => {
    const queue = new FakeQueueEntry();
    const runner = promptReminderCall({ prompts: new PromptSet({ dir }), queue, log: silentLog });
    const ch = new ScriptedChannel(payment.phone, [{ digits: '1' }]);
    const r = await runner.run(ch, payment, portfolio);
    expect(r.result).toBe('agent');
    expect(queue.entries[0].opts.queueId).toBe('collections');
    const files = ch.played.flat();
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(existsSync(f), f).toBe(true);
  });

  it('key 3 opts out', async () => {
    const runner = promptReminderCall({ prompts: new PromptSet({ dir }), queue: new FakeQueueEntry(), log: silentLog });
    const r = await runner.run(new ScriptedChannel(payment.phone, [{ digits: '3' }]), payment, portfolio);
    expect(r.result).toBe('opted-out');
  });
});
