/** Header value helpers live in uri.ts (one scanner module); re-exported here under the contract's name. */
export { parseNameAddr, parseVia, parseParams, splitHeaderList, headerParam, type NameAddr, type Via } from './uri.js';
