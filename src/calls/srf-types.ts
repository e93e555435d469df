import type { EventEmitter } from 'node:events';

/**
 * The slice of drachtio-srf that call control uses. drachtio-srf's own objects satisfy these shapes
 * (its bundled .d.ts is incomplete, e.g. cbRequest really receives (err, req)), and unit tests fake them.
 */

export interface SrfRequestLike {
  method: string;
  uri: string;
  body: string;
  callingNumber: string;
  calledNumber: string;
  source_address: string;
  get(name: string): string;
  has(name: string): boolean;
  cancel?(cb?: (err: unknown) => void): void;
  on(event: 'cancel', cb: () => void): unknown;
}

export interface SrfResponseLike {
  finalResponseSent: boolean;
  send(status: number, reason?: string | object, opts?: object): void;
}

/** srf Dialog: 'destroy' (remote BYE), 'modify' (re-INVITE with new SDP), 'info', 'hold'/'unhold' when listened to. */
export interface DialogLike extends EventEmitter {
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string };
  remote: { uri: string; sdp: string };
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
}

export interface UacOptions {
  localSdp: string;
  headers?: Record<string, string>;
  proxy?: string;
  callingNumber?: string;
}

export interface SrfLike {
  createUAC(
    uri: string,
    opts: UacOptions,
    progress?: { cbRequest?: (err: unknown, req?: SrfRequestLike) => void; cbProvisional?: (res: { status: number }) => void },
  ): Promise<DialogLike>;
  createUAS(req: SrfRequestLike, res: SrfResponseLike, opts: { localSdp: string; headers?: Record<string, string> }): Promise<DialogLike>;
}

export type RequestHandler = (req: SrfRequestLike, res: SrfResponseLike) => void;

/** An srf with the request routers the inbound side registers on. */
export interface SrfApp extends SrfLike {
  invite(h: RequestHandler): void;
  options(h: RequestHandler): void;
}

/** drachtio-srf's Srf typed as the slice we use (its .d.ts disagrees with its runtime on callback shapes). */
export function asSrfApp(srf: object): SrfApp {
  return srf as unknown as SrfApp;
}
