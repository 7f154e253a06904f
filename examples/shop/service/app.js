'use strict';
// shop: the HTTP worker. The cluster primary (server.js) forks it from a release directory;
// its version is the name of that directory (/opt/shop/releases/<VERSION>/app.js), so what
// serves is exactly what was unpacked there. Node's standard library only; the data is a
// SQLite database read and written through Debian's sqlite3 command-line tool.
//
// GET /healthz never starts a process: it answers from memory and two file system checks
// (the release's UNHEALTHY marker, the database file's header), because probes hit it often.

const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** One JSON object on one line, `{"key": value, ...}`: the shape the runbook's checks quote. */
function line(fields) {
  return `{${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}\n`;
}

/** State of the database file without opening it through SQLite: ok, missing or error. */
function databaseState(db) {
  let fd;
  try {
    fd = fs.openSync(db, 'r');
    const header = Buffer.alloc(SQLITE_MAGIC.length);
    if (fs.readSync(fd, header, 0, header.length, 0) !== header.length || !header.equals(SQLITE_MAGIC)) {
      return 'corrupt';
    }
    fs.accessSync(db, fs.constants.W_OK);
    fs.accessSync(path.dirname(db), fs.constants.W_OK); // SQLite writes its -wal and -shm files there
    return 'ok';
  } catch (err) {
    return err.code === 'ENOENT' ? 'missing' : 'error';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Runs SQL with sqlite3 and resolves with the rows (sqlite3 -json), or rejects. */
function query(db, sql, { write = false } = {}) {
  const args = ['-bail', '-json', '-cmd', '.timeout 3000'];
  if (!write) args.push('-readonly');
  args.push(db, sql);
  return new Promise((resolve, reject) => {
    execFile('sqlite3', args, { timeout: 10000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error((stderr || err.message).trim()));
        return;
      }
      const text = stdout.trim();
      try {
        resolve(text ? JSON.parse(text) : []);
      } catch (parseErr) {
        reject(parseErr);
      }
    });
  });
}

function readBody(req, limit = 16384) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The request handler of one release.
 * options.releaseDir: the release directory (its name is the version);
 * options.db: path of the SQLite database.
 */
function createApp({ releaseDir, db }) {
  const version = path.basename(releaseDir);
  const unhealthyMarker = path.join(releaseDir, 'UNHEALTHY');
  const state = { draining: false };

  function send(res, status, type, body) {
    const headers = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) };
    if (state.draining) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }
  const json = (res, status, value) => send(res, status, 'application/json', `${JSON.stringify(value)}\n`);

  function health(res) {
    const dbState = databaseState(db);
    const fields = { healthy: true, release: version, db: dbState };
    if (fs.existsSync(unhealthyMarker)) {
      fields.healthy = false;
      fields.reason = 'release marked UNHEALTHY';
    } else if (dbState !== 'ok') {
      fields.healthy = false;
      fields.reason = `database ${dbState}: ${db}`;
    }
    send(res, fields.healthy ? 200 : 503, 'application/json', line(fields));
  }

  async function withDatabase(res, work) {
    if (databaseState(db) !== 'ok') {
      json(res, 503, { error: 'database unavailable', release: version });
      return;
    }
    try {
      await work();
    } catch (err) {
      console.error(`shop[${process.pid}]: database error: ${err.message}`);
      json(res, 500, { error: 'database error', release: version });
    }
  }

  const routes = {
    'GET /healthz': (req, res) => health(res),
    'GET /version': (req, res) => send(res, 200, 'text/plain; charset=utf-8', `${version}\n`),
    'GET /': (req, res) => send(res, 200, 'text/html; charset=utf-8',
      `<!doctype html><html><head><title>shop</title></head><body><h1>shop</h1><p>Release ${version}</p></body></html>\n`),
    'GET /api/products': (req, res) => withDatabase(res, async () => {
      json(res, 200, { products: await query(db, 'select * from products order by id') });
    }),
    'GET /api/orders': (req, res) => withDatabase(res, async () => {
      const orders = await query(db, 'select * from orders order by id desc limit 20');
      json(res, 200, { orders });
    }),
    'POST /api/orders': (req, res) => withDatabase(res, async () => {
      let order;
      try {
        order = JSON.parse(await readBody(req));
      } catch (err) {
        json(res, err.status || 400, { error: err.status ? err.message : 'body is not JSON' });
        return;
      }
      const productId = Number(order && order.product_id);
      const quantity = Number(order && order.quantity);
      if (!Number.isInteger(productId) || productId < 1 || !Number.isInteger(quantity) || quantity < 1 || quantity > 1000) {
        json(res, 400, { error: 'product_id and quantity must be positive integers' });
        return;
      }
      const reference = `web-${crypto.randomUUID()}`;
      const rows = await query(db,
        `insert into orders (reference, product_id, quantity) select '${reference}', id, ${quantity} ` +
        `from products where id = ${productId} returning *`, { write: true });
      if (rows.length === 0) json(res, 404, { error: 'no such product' });
      else json(res, 201, { order: rows[0] });
    }),
    'GET /api/schema': (req, res) => withDatabase(res, async () => {
      const rows = await query(db, 'select name from schema_migrations order by name');
      json(res, 200, { migrations: rows.map((r) => r.name) });
    }),
  };

  function handle(req, res) {
    const started = process.hrtime.bigint();
    const url = new URL(req.url, 'http://shop.invalid');
    let route = routes[`${req.method} ${url.pathname}`];
    const product = url.pathname.match(/^\/api\/products\/([0-9]{1,9})$/);
    if (!route && product && req.method === 'GET') {
      route = (rq, rs) => withDatabase(rs, async () => {
        const rows = await query(db, `select * from products where id = ${Number(product[1])}`);
        if (rows.length === 0) json(rs, 404, { error: 'no such product' });
        else json(rs, 200, { product: rows[0] });
      });
    }
    res.on('finish', () => {
      // Every request but the successful health checks (probes would drown the log).
      if (url.pathname === '/healthz' && res.statusCode === 200) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`shop[${process.pid}] ${version} ${req.method} ${url.pathname} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    if (!route) {
      json(res, 404, { error: 'not found' });
      return;
    }
    Promise.resolve(route(req, res)).catch((err) => {
      console.error(`shop[${process.pid}]: ${req.method} ${url.pathname}: ${err.stack || err}`);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  }

  return { handle, state, version };
}

/** Listens, and retires gracefully when the primary says so (a reload) or on SIGTERM. */
function serve({ releaseDir, db, port, host }) {
  const app = createApp({ releaseDir, db });
  const server = http.createServer(app.handle);
  server.keepAliveTimeout = 5000;

  // Retiring is a handshake with the primary, so that no connection is lost: closing the
  // server tells the primary (in order, on the IPC channel) to stop handing connections to
  // this worker; the primary answers `shop:release` after that, so every connection it handed
  // over before has arrived by then (and was served, or handed back to another worker). The
  // worker exits once released and its open requests are done; idle keep-alive connections
  // end at keepAliveTimeout.
  let closed = false;
  let released = !process.send;
  const exitWhenDone = () => { if (closed && released) process.exit(0); };
  function retire(why) {
    if (app.state.draining) return;
    app.state.draining = true;
    console.log(`shop[${process.pid}] ${app.version}: retiring (${why}); finishing open requests`);
    server.close(() => { closed = true; exitWhenDone(); });
    if (process.send) process.send({ cmd: 'shop:closed' });
    setTimeout(() => process.exit(0), 25000).unref();
  }
  process.on('message', (msg) => {
    if (msg && msg.cmd === 'shop:retire') retire('reload');
    if (msg && msg.cmd === 'shop:release') { released = true; exitWhenDone(); }
  });
  process.on('SIGTERM', () => retire('SIGTERM'));
  process.on('SIGINT', () => {}); // the primary decides when workers stop
  server.listen(port, host, () => {
    console.log(`shop[${process.pid}] ${app.version}: listening on ${host}:${port}, database ${db}`);
  });
  return server;
}

module.exports = { createApp, databaseState, line, serve };

if (require.main === module) {
  serve({
    releaseDir: path.dirname(fs.realpathSync(__filename)),
    db: process.env.SHOP_DB || '/opt/shop/shared/shop.db',
    port: Number(process.env.SHOP_PORT || 8080),
    host: process.env.SHOP_HOST || '0.0.0.0',
  });
}
