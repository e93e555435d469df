import { createSocket, type RemoteInfo } from 'node:dgram';

export interface LossyRelay {
  /** Send here instead of to the target. */
  port: number;
  dropped: { toTarget: number; toClient: number };
  forwarded: number;
  close(): Promise<void>;
}

/**
 * A UDP relay on loopback that drops `lossPct` % of datagrams in each direction, with a seeded RNG so a
 * failing run can be replayed. Used instead of sipp's `-lost` on a UAS: sipp aborts a call whose first
 * INVITE it "lost" itself and then treats our retransmissions as unexpected, which tests sipp, not us.
 */
export async function startLossyRelay(targetPort: number, lossPct: number, seed = 1): Promise<LossyRelay> {
  let state = seed >>> 0 || 1;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  let client: RemoteInfo | undefined;
  const relay: LossyRelay = {
    port: 0,
    dropped: { toTarget: 0, toClient: 0 },
    forwarded: 0,
    close: () => new Promise((r) => front.close(() => back.close(() => r()))),
  };
  const trace = process.env.RELAY_TRACE ? (dir: string, msg: Buffer, drop: boolean) =>
    process.stderr.write(`relay ${dir} ${drop ? 'DROP' : 'pass'} ${msg.toString().split('\r\n')[0]} ${/Call-ID: *([^\r]+)/i.exec(msg.toString())?.[1] ?? ''} ${/CSeq: *([^\r]+)/i.exec(msg.toString())?.[1] ?? ''}\n`) : undefined;
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    const dropIt = rand() * 100 < lossPct;
    trace?.('->', msg, dropIt);
    if (dropIt) return void relay.dropped.toTarget++;
    relay.forwarded++;
    back.send(msg, targetPort, '127.0.0.1');
  });
  back.on('message', (msg) => {
    if (!client) return;
    const dropIt = rand() * 100 < lossPct;
    trace?.('<-', msg, dropIt);
    if (dropIt) return void relay.dropped.toClient++;
    relay.forwarded++;
    front.send(msg, client.port, client.address);
  });
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
  relay.port = front.address().port;
  return relay;
}
