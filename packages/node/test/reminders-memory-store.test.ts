import { it } from 'vitest';
import { MemoryReminderStore } from '../src/reminders/memory-reminder-store.js';
import { reminderStoreContract } from './reminder-store-contract.js';

it('MemoryReminderStore keeps the reminder store contract', async () => {
  await reminderStoreContract(new MemoryReminderStore({ partitions: 4 }));
});
