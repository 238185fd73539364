// `npm run demo:web`: serve the race demos page (this folder, at /) and the built package
// (dist/, at /dist/) from 127.0.0.1, with the two headers that make the page cross-origin
// isolated (COOP same-origin + COEP require-corp: without them a browser gives it no
// SharedArrayBuffer), and print the URL. The port is $PORT, else a free one; $HOST overrides
// the address (but a browser isolates only a secure origin: localhost, 127.0.0.1 or https).
// Ctrl-C (SIGINT) or SIGTERM closes the server and exits with code 0.
//
// Also a module: `start({ port, host })` resolves to { url, close } (examples/web/screenshot.mjs).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const page = fileURLToPath(new URL('.', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const ISOLATED = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The file a request path names, or undefined: only inside the page folder or dist/. */
function fileOf(pathname) {
  const path = normalize(pathname);
  if (path.includes('\0')) return undefined;
  const [folder, rest] = path.startsWith('/dist/') ? [dist, path.slice('/dist/'.length)] : [page, path.slice(1)];
  const file = join(folder, rest === '' || rest.endsWith('/') ? `${rest}index.html` : rest);
  return file.startsWith(folder.endsWith(sep) ? folder : folder + sep) ? file : undefined;
}

async function respond(req, res) {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return res.writeHead(400, ISOLATED).end('bad request');
  }
  const file = fileOf(pathname);
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405, ISOLATED).end();
  let body;
  try {
    body = file && (await readFile(file));
  } catch {
    body = undefined;
  }
  if (body === undefined) {
    const hint = pathname.startsWith('/dist/') ? ' (build the package first: npm run build)' : '';
    return res.writeHead(404, { ...ISOLATED, 'Content-Type': 'text/plain' }).end(`not found: ${pathname}${hint}\n`);
  }
  res.writeHead(200, { ...ISOLATED, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Start serving; resolves to the page's URL and a close() that stops the server. */
export function start({ port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => {
    respond(req, res).catch((e) => res.destroy(e));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      const close = () =>
        new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
      resolve({ url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`, close });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 0 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), not ${JSON.stringify(process.env.PORT)}`);
    process.exit(1);
  }
  const { url, close } = await start({ port, host: process.env.HOST || '127.0.0.1' });
  console.log(`The race demos: ${url}`);
  console.log('Open it in a browser (Chrome, Edge, Firefox or Safari); Ctrl-C stops the server.');
  const stop = async (signal) => {
    console.log(`\n${signal}: server stopped.`);
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
