/**
 * WebSocket clients for bench/acd.ts, in their own process so that parsing 1,000+ sockets' traffic
 * does not run on the server's event loop. Talks to the parent over IPC.
 */
import WebSocket from 'ws';

interface Setup { port: number; agentTokens: string[]; supervisorTokens: string[]; queue: string }

const now = () => performance.timeOrigin + performance.now();
const latencies = { agent: [] as number[], supervisor: [] as number[] };
const sockets: WebSocket[] = [];

function open(port: number, token: string, kind: 'agent' | 'supervisor'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; event?: { sentAt?: number } };
      if (m.type === 'event' && m.event?.sentAt) latencies[kind].push(now() - m.event.sentAt);
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

process.on('message', async (msg: { cmd: 'setup'; setup: Setup } | { cmd: 'report' }) => {
  if (msg.cmd === 'setup') {
    const { port, agentTokens, supervisorTokens, queue } = msg.setup;
    for (const t of agentTokens) sockets.push(await open(port, t, 'agent'));
    for (const t of supervisorTokens) {
      const ws = await open(port, t, 'supervisor');
      ws.send(JSON.stringify({ type: 'subscribe', queues: [queue] }));
      sockets.push(ws);
    }
    process.send!({ cmd: 'ready' });
  } else {
    for (const ws of sockets) ws.close();
    process.send!({ cmd: 'report', latencies }, () => process.exit(0));
  }
});
