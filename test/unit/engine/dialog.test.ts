import { describe, expect, it } from 'vitest';
import { Dialog, DialogStore, drachtioDialogId } from '../../../src/sip/engine/dialog.js';
import { SipMessage } from '../../../src/sip/engine/message.js';
import type { AppConnection } from '../../../src/sip/engine/control-server.js';

const conn = {} as AppConnection;

function invite(): SipMessage {
  const req = SipMessage.request('INVITE', 'sip:svc@10.0.0.1');
  req.add('Via', 'SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKa');
  req.add('Record-Route', '<sip:p1.example;lr>, <sip:p2.example;lr>');
  req.add('From', '"A" <sip:a@10.0.0.9>;tag=remote');
  req.add('To', '<sip:svc@10.0.0.1>');
  req.add('Call-ID', 'cid-1');
  req.add('CSeq', '7 INVITE');
  req.add('Contact', '<sip:a@10.0.0.9:5070;transport=tcp>');
  return req;
}

describe('dialog state', () => {
  it('UAS: remote target from Contact, route set in Record-Route order, tags from both sides', () => {
    const req = invite();
    const res = SipMessage.response(200);
    res.add('To', '<sip:svc@10.0.0.1>;tag=local');
    res.add('Contact', '<sip:10.0.0.1:5060>');
    const d = Dialog.uas({ id: 'x', request: req, response: res, localTag: 'local', source: { transport: 'tcp', address: '10.0.0.9', port: 40000 }, conn });
    expect(d.remoteTarget).toBe('sip:a@10.0.0.9:5070;transport=tcp');
    expect(d.routeSet).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    expect([d.localTag, d.remoteTag, d.remoteSeq]).toEqual(['local', 'remote', 7]);
    expect(d.localParty).toBe('<sip:svc@10.0.0.1>;tag=local');
    expect(d.remoteParty).toBe('"A" <sip:a@10.0.0.9>;tag=remote');
    expect(d.flow).toEqual({ transport: 'tcp', address: '10.0.0.9', port: 40000 });
  });

  it('UAC: route set is the reversed Record-Route of the 2xx', () => {
    const req = invite();
    req.set('From', '<sip:me@10.0.0.1>;tag=mine');
    const res = SipMessage.response(200);
    res.add('Record-Route', '<sip:p1.example;lr>');
    res.add('Record-Route', '<sip:p2.example;lr>');
    res.add('To', '<sip:svc@10.0.0.1>;tag=theirs');
    res.add('Contact', '<sip:b@10.0.0.2>');
    const d = Dialog.uac({ id: 'y', request: req, response: res, dest: { transport: 'udp', address: '10.0.0.2', port: 5060 }, conn });
    expect(d.routeSet).toEqual(['<sip:p2.example;lr>', '<sip:p1.example;lr>']);
    expect([d.localTag, d.remoteTag, d.localSeq, d.remoteTarget]).toEqual(['mine', 'theirs', 7, 'sip:b@10.0.0.2']);
    expect(d.flow).toBeUndefined();
  });

  it('store: drachtio ids, lookup by Call-ID + local tag, unique ids when the engine is both ends', () => {
    const store = new DialogStore();
    const mk = (id: string, localTag: string) => new Dialog(id, 'uas', 'INVITE', 'cid', localTag, 'r', '', '', 1, 1, 'sip:a@b', [], '', 'udp', undefined, conn);
    const id1 = store.uniqueId('cid', 'ft');
    expect(id1).toBe(drachtioDialogId('cid', 'ft'));
    const d1 = mk(id1, 'l1');
    store.add(d1);
    const id2 = store.uniqueId('cid', 'ft');
    expect(id2).not.toBe(id1);
    store.add(mk(id2, 'l2'));
    expect(store.find('cid', 'l1')).toBe(d1);
    expect(store.getById(id1)).toBe(d1);
    store.remove(d1);
    expect(store.find('cid', 'l1')).toBeUndefined();
    expect(d1.state).toBe('terminated');
    expect(store.size).toBe(1);
  });
});
