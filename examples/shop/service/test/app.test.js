'use strict';
// Tests of the worker (node --test). The database tests need Debian's sqlite3 and bash, as on
// the target; they are skipped where sqlite3 is missing.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const { createApp, databaseState, line } = require('../app.js');

const SERVICE = path.join(__dirname, '..');
const hasSqlite = (() => {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const temporary = [];
process.on('exit', () => { for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true }); });

function tempRelease(version) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-test-'));
  temporary.push(root);
  const releaseDir = path.join(root, version);
  fs.mkdirSync(releaseDir);
  return { root, releaseDir, db: path.join(root, 'shop.db') };
}

function migrate(db) {
  return execFileSync('bash', [path.join(SERVICE, 'migrate.sh')], { env: { ...process.env, SHOP_DB: db } }).toString();
}

async function request(app, method, url, body) {
  const server = http.createServer(app.handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.address().port, method, path: url }, (res) => {
        let text = '';
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    server.close();
  }
}

test('line() writes the one-line JSON shape the runbook quotes', () => {
  assert.equal(line({ healthy: true, release: '1.5.0', db: 'ok' }), '{"healthy": true, "release": "1.5.0", "db": "ok"}\n');
});

test('the version is the name of the release directory', async () => {
  const { releaseDir, db } = tempRelease('1.5.0');
  const res = await request(createApp({ releaseDir, db }), 'GET', '/version');
  assert.equal(res.status, 200);
  assert.equal(res.body, '1.5.0\n');
});

test('healthz answers 503 with the version when the database is missing', async () => {
  const { releaseDir, db } = tempRelease('1.4.0');
  const res = await request(createApp({ releaseDir, db }), 'GET', '/healthz');
  assert.equal(res.status, 503);
  assert.match(res.body, /"healthy": false, "release": "1\.4\.0", "db": "missing"/);
});

test('a file that is not SQLite is reported corrupt', () => {
  const { db } = tempRelease('x');
  fs.writeFileSync(db, 'not a database at all');
  assert.equal(databaseState(db), 'corrupt');
});

test('unknown paths answer 404', async () => {
  const { releaseDir, db } = tempRelease('1.5.0');
  const res = await request(createApp({ releaseDir, db }), 'GET', '/no-such-page');
  assert.equal(res.status, 404);
});

test('with a migrated database', { skip: !hasSqlite && 'sqlite3 is not installed' }, async (t) => {
  const { releaseDir, db } = tempRelease('1.5.0');
  const output = migrate(db);
  assert.match(output, /applied 001_create_catalog\.sql/);
  assert.match(migrate(db), /\(0 applied now\)/);
  const app = createApp({ releaseDir, db });

  await t.test('healthz is healthy and names the release', async () => {
    const res = await request(app, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.body, '{"healthy": true, "release": "1.5.0", "db": "ok"}\n');
  });
  await t.test('an UNHEALTHY marker in the release makes healthz 503, still naming the release', async () => {
    fs.writeFileSync(path.join(releaseDir, 'UNHEALTHY'), 'test\n');
    try {
      const res = await request(app, 'GET', '/healthz');
      assert.equal(res.status, 503);
      assert.match(res.body, /"healthy": false, "release": "1\.5\.0"/);
    } finally {
      fs.unlinkSync(path.join(releaseDir, 'UNHEALTHY'));
    }
  });
  await t.test('products are read from the database', async () => {
    const res = await request(app, 'GET', '/api/products');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).products.length, 3);
    const one = await request(app, 'GET', '/api/products/2');
    assert.equal(JSON.parse(one.body).product.id, 2);
    assert.equal((await request(app, 'GET', '/api/products/99')).status, 404);
  });
  await t.test('an order is written and listed', async () => {
    const res = await request(app, 'POST', '/api/orders', JSON.stringify({ product_id: 1, quantity: 2 }));
    assert.equal(res.status, 201);
    assert.equal(JSON.parse(res.body).order.quantity, 2);
    assert.equal((await request(app, 'POST', '/api/orders', '{"product_id": "1; drop table orders"}')).status, 400);
    const list = JSON.parse((await request(app, 'GET', '/api/orders')).body);
    assert.equal(list.orders.length, 1);
  });
  await t.test('the applied migrations are listed', async () => {
    const res = await request(app, 'GET', '/api/schema');
    assert.ok(JSON.parse(res.body).migrations.includes('001_create_catalog.sql'));
  });
});
