/**
 * Micro-benchmarks of the SIP stack alone (no drachtio control protocol):
 *  1. parse + serialize of a typical INVITE with SDP;
 *  2. full calls (INVITE/100/180/200/ACK, hold, BYE/200) between two stacks in this process over
 *     UDP loopback at a fixed rate, reporting achieved calls/s, CPU per call and live transactions.
 * Usage: npx tsx bench/sip-stack.ts [callsPerSecond=300] [seconds=10] [holdSeconds=15]
 */
import { pino } from 'pino';
import { responseTo, SipMessage, type Endpoint } from '../src/sip/engine/message.js';
import { parseMessage } from '../src/sip/engine/parser.js';
import { SipStack, type ServerTransaction } from '../src/sip/engine/stack.js';
import { newCallId, newTag, parseNameAddr } from '../src/sip/engine/uri.js';

const rate = Number(process.argv[2] ?? 300);
const seconds = Number(process.argv[3] ?? 10);
const holdS = Number(process.argv[4] ?? 15);
const log = pino({ level: 'warn' });

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

function parserBench(): void {
  const m = SipMessage.request('INVITE', 'sip:+15551234567@10.0.0.1:5060');
  m.add('Via', 'SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds;rport');
  m.add('Max-Forwards', '70');
  m.add('From', '"Dialer" <sip:+15550001111@10.0.0.2>;tag=1928301774');
  m.add('To', '<sip:+15551234567@10.0.0.1>');
  m.add('Call-ID', 'a84b4c76e66710@10.0.0.2');
  m.add('CSeq', '314159 INVITE');
  m.add('Contact', '<sip:dialer@10.0.0.2:5060>');
  m.add('Allow', 'INVITE, ACK, CANCEL, OPTIONS, BYE, INFO, UPDATE');
  m.add('Supported', 'timer, replaces');
  m.add('Content-Type', 'application/sdp');
  m.body = Buffer.from(SDP);
  const wire = m.toBuffer();
  const n = 200_000;
  for (let i = 0; i < 10_000; i++) parseMessage(wire).toBuffer();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) parseMessage(wire);
  const t1 = process.hrtime.bigint();
  const parsed = parseMessage(wire);
  for (let i = 0; i < n; i++) parsed.toBuffer();
  const t2 = process.hrtime.bigint();
  console.log(`parse ${wire.length}-byte INVITE: ${(n / (Number(t1 - t0) / 1e9)).toFixed(0)}/s; serialize: ${(n / (Number(t2 - t1) / 1e9)).toFixed(0)}/s`);
}

async function callBench(): Promise<void> {
  const uas = new SipStack({ host: '127.0.0.1', port: 0, transports: ['udp'], log });
  const uac = new SipStack({ host: '127.0.0.1', port: 0, transports: ['udp'], log });
  await uas.start();
  await uac.start();
  uas.on('request', (req: SipMessage, txn: ServerTransaction | null) => {
    if (!txn) return; // ACK
    if (req.method === 'INVITE') {
      const tag = newTag();
      txn.respond(responseTo(req, 180, undefined, tag));
      const ok = responseTo(req, 200, undefined, tag);
      ok.add('Contact', `<${uas.contactFor('udp')}>`);
      ok.add('Content-Type', 'application/sdp');
      ok.body = Buffer.from(SDP);
      txn.respond(ok);
    } else txn.respond(responseTo(req, 200));
  });
  const target = `sip:svc@127.0.0.1:${uas.listening[0].port}`;
  const dest: Endpoint = uac.resolveTarget(target);
  let started = 0;
  let answered = 0;
  let ended = 0;
  let failed = 0;
  let maxTxns = 0;
  const call = () => {
    started++;
    const inv = SipMessage.request('INVITE', target);
    inv.add('From', `<sip:bench@127.0.0.1>;tag=${newTag()}`);
    inv.add('To', `<${target}>`);
    inv.add('Call-ID', newCallId('127.0.0.1'));
    inv.add('CSeq', '1 INVITE');
    inv.add('Contact', `<${uac.contactFor('udp')}>`);
    inv.add('Content-Type', 'application/sdp');
    inv.body = Buffer.from(SDP);
    let acked = false;
    uac.sendRequest(inv, dest).on('response', (res: SipMessage) => {
      if (res.status < 200) return;
      if (res.status >= 300) {
        failed++;
        return;
      }
      const remote = parseNameAddr(res.get('Contact') ?? '').uri;
      const ack = SipMessage.request('ACK', remote);
      for (const h of ['From', 'To', 'Call-ID']) ack.add(h, res.get(h) ?? '');
      ack.add('CSeq', '1 ACK');
      uac.sendStateless(ack, dest);
      if (acked) return;
      acked = true;
      answered++;
      setTimeout(() => {
        const bye = SipMessage.request('BYE', remote);
        for (const h of ['From', 'To', 'Call-ID']) bye.add(h, res.get(h) ?? '');
        bye.add('CSeq', '2 BYE');
        uac.sendRequest(bye, dest).on('response', (r: SipMessage) => (r.status === 200 ? ended++ : failed++));
      }, holdS * 1000);
    });
  };
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const tick = 20;
  let due = 0;
  const iv = setInterval(() => {
    const shouldHave = Math.min(rate * seconds, Math.floor(((Date.now() - t0) / 1000) * rate));
    while (due < shouldHave) {
      due++;
      call();
    }
    const live = uac.transactionCount.client + uac.transactionCount.server + uas.transactionCount.client + uas.transactionCount.server;
    maxTxns = Math.max(maxTxns, live);
  }, tick);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(iv);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, (holdS + 3) * 1000));
  const mem = process.memoryUsage();
  console.log(
    `calls: started ${started} in ${elapsed.toFixed(1)} s (${(started / elapsed).toFixed(0)}/s), answered ${answered}, ended ${ended}, failed ${failed}; ` +
      `CPU during setup phase (both ends, one process): ${((cpu.user + cpu.system) / 1000 / elapsed / 10).toFixed(1)}% of one core, ` +
      `${((cpu.user + cpu.system) / started).toFixed(0)} us/call; peak live transactions ${maxTxns}; rss ${(mem.rss / 1e6).toFixed(0)} MB; ` +
      `retransmissions absorbed uas=${uas.stats.retransmissionsAbsorbed}`,
  );
  await uac.stop();
  await uas.stop();
}

parserBench();
await callBench();
