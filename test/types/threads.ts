// Thread / Process / Pipe: the shapes a user's code relies on.
import { Connection, EOFError, Lock, Pipe, Process, Thread, cpuCount, currentThread, type Handle, type ThreadInfo } from 'sabsync';
import { expectType, type Equal } from './expect.js';

const url = new URL('https://example.com/tasks.js');
const t = new Thread(url, 'work', { args: [1, 'two', new Lock()], name: 'w', daemon: true });
new Thread('https://example.com/tasks.js');
expectType<Equal<ReturnType<typeof t.start>, void>>();
expectType<Equal<ReturnType<typeof t.join>, boolean>>();
expectType<Equal<ReturnType<typeof t.joinAsync>, Promise<boolean>>>();
expectType<Equal<ReturnType<typeof t.isAlive>, boolean>>();
expectType<Equal<typeof t.ident, number | undefined>>();
expectType<Equal<typeof t.exitCode, number | undefined>>();
expectType<Equal<typeof t.name, string>>();
expectType<Equal<typeof t.daemon, boolean>>();
expectType<Equal<typeof t.result, unknown>>();
t.daemon = false;
// @ts-expect-error the target is an export's name, not a function
new Thread(url, () => 1);
// @ts-expect-error args is an array
new Thread(url, 'work', { args: 1 });
// @ts-expect-error daemon is a boolean
t.daemon = 'yes';

// Process is the same class.
const p: Thread = new Process(url, 'work');
expectType<Equal<typeof Process, typeof Thread>>();
void p;

const me: ThreadInfo = currentThread();
expectType<Equal<typeof me.name, string>>();
expectType<Equal<typeof me.ident, number>>();
expectType<Equal<typeof me.isMain, boolean>>();
expectType<Equal<ReturnType<typeof cpuCount>, number>>();

const [a, b] = Pipe();
Pipe(false, { bytes: 1024 });
expectType<Equal<typeof a, Connection>>();
expectType<Equal<ReturnType<typeof b.recv>, unknown>>();
expectType<Equal<ReturnType<typeof b.recvAsync>, Promise<unknown>>>();
expectType<Equal<ReturnType<typeof b.poll>, boolean>>();
expectType<Equal<ReturnType<typeof b.pollAsync>, Promise<boolean>>>();
expectType<Equal<typeof a.closed, boolean>>();
expectType<Equal<typeof a.handle, Handle<'Connection'>>>();
Connection.from(a.handle);
// @ts-expect-error a Lock's handle is not a Connection's
Connection.from(new Lock().handle);
// @ts-expect-error ends come from Pipe(), not a constructor call without its token
new Connection();
expectType<Equal<EOFError['code'], 'ERR_EOF'>>();
