import type { AgentDirectory } from '../agents/agent-directory.js';
import type { QueueEntry } from './ports.js';
type Fits<A extends B, B> = A;
export type X = Fits<AgentDirectory, QueueEntry>;
