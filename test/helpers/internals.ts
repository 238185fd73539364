/**
 * The white-box door: every package internal a test reaches, in one place.
 *
 * Import convention of the suite: the public API comes from the built package, `'sabsync'`
 * (dist/, through the package's own `exports`), exactly as a user imports it; internals come
 * from the same built modules under dist/, re-exported here, and from nowhere else. Never from
 * src/: a symbol-keyed hook (`recoverLock`, `purgeWaiters`, ...) is a different Symbol in a
 * second copy of the modules, and a worker fixture (a plain .mjs file) can load only dist/.
 * Fixtures follow the same rule: `'sabsync'`, and `'../../dist/...'` for internals.
 * So tests and fixtures run the code that ships, and `npm test` builds it first.
 */
export { recoverLock } from '../../dist/primitives/lockable.js';
export { purgeWaiters } from '../../dist/primitives/condition.js';
export { sabsyncIdOf } from '../../dist/primitives/thread.js';
export { recoverQueue } from '../../dist/queue/queue.js';
export { layoutOfWords } from '../../dist/queue/store.js';
export { fifo } from '../../dist/queue/order.js';
export { setControl, setException, setResult } from '../../dist/pool/future.js';
