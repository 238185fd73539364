// linkWorker: a Web Worker (or anything with postMessage(message, transfer)); nothing else.
import { linkWorker, type Linkable } from 'sabsync';

// The DOM Worker's postMessage overloads (this file is also checked without lib DOM).
declare const webWorker: {
  postMessage(message: unknown, transfer: object[]): void;
  postMessage(message: unknown, options?: { transfer?: object[] }): void;
};
linkWorker(webWorker);
const linkable: Linkable = { postMessage: (_m: unknown, _t: unknown[]) => {} };
linkWorker(linkable);
// @ts-expect-error: a plain object is not a worker
linkWorker({});
// @ts-expect-error: a worker is required
linkWorker();
