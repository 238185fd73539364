/**
 * The links of a Thread's tree of workers (creator ↔ supervisor ↔ bootstrap) over which shared
 * buffers in queue items travel where a BroadcastChannel cannot carry them: a browser (see
 * queue/buffers.ts). Each worker of the tree makes a link when it starts and posts the far end
 * to its parent, which adopts it (`isLink` / `adoptLink`) in the message listener it gave
 * `startWorker`. The runtime seam's `postToParent` takes no transfer list, so the end is posted
 * on the worker's global scope here; only a Web Worker gets that far (`openLink` makes a link
 * only where there is no `worker_threads`).
 */
import { LINK, openLink } from '../queue/buffers.js';

/** In a worker of a Thread's tree: link it to its parent (nothing where no link is needed). */
export function linkToParent(): void {
  const port = openLink();
  if (port === undefined) return;
  (globalThis as unknown as { postMessage(message: unknown, transfer: unknown[]): void }).postMessage({ type: LINK, port }, [port]);
}
