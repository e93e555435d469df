import type { NodeKind } from './flow-schema.js';
import type { Task } from './task.js';
import { branchTask } from './tasks/branch.js';
import { enqueueTask } from './tasks/enqueue.js';
import { gatherTask } from './tasks/gather.js';
import { hangupTask } from './tasks/hangup.js';
import { httpLookupTask } from './tasks/http-lookup.js';
import { menuTask } from './tasks/menu.js';
import { playTask } from './tasks/play.js';
import { requestCallbackTask } from './tasks/request-callback.js';
import { sayTask } from './tasks/say.js';
import { surveyTask } from './tasks/survey.js';
import { setVarTask } from './tasks/set-var.js';
import { transferTask } from './tasks/transfer.js';

/** Node kind -> task. Typed so adding a kind to the schema without a task fails to compile. */
export type TaskRegistry = { [K in NodeKind]: Task<K> };

export const defaultTasks: TaskRegistry = {
  play: playTask,
  say: sayTask,
  gather: gatherTask,
  menu: menuTask,
  branch: branchTask,
  'set-var': setVarTask,
  'http-lookup': httpLookupTask,
  enqueue: enqueueTask,
  transfer: transferTask,
  'request-callback': requestCallbackTask,
  survey: surveyTask,
  hangup: hangupTask,
};
