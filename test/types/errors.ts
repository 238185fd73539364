// Error codes are a union of literals; each class narrows its own; names are strings.
import { Empty, Full, SabsyncError, TimeoutError, type ErrorCode } from 'sabsync';
import { expectType, type Equal } from './expect.js';

expectType<Equal<Empty['code'], 'ERR_EMPTY'>>();
expectType<Equal<TimeoutError['code'], 'ERR_TIMEOUT'>>();
expectType<Equal<SabsyncError['code'], ErrorCode>>();
expectType<Equal<Extract<ErrorCode, 'ERR_UNSERIALIZABLE' | 'ERR_NOT_OWNER' | 'ERR_INVALID_ARG_TYPE'>, 'ERR_UNSERIALIZABLE' | 'ERR_NOT_OWNER' | 'ERR_INVALID_ARG_TYPE'>>();

// @ts-expect-error not a sabsync code
const bad: ErrorCode = 'ERR_NOPE';
void bad;
// @ts-expect-error an Empty is never ERR_FULL
const full: 'ERR_FULL' = new Empty().code;
void full;

function describe(e: unknown): string {
  if (!(e instanceof SabsyncError)) return 'other';
  switch (e.code) {
    case 'ERR_EMPTY':
    case 'ERR_FULL':
      return 'queue';
    // @ts-expect-error a typo in a case is caught
    case 'ERR_TIMEOUTT':
      return 'typo';
    default:
      return e.code;
  }
}
describe(new Full());
