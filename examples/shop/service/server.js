'use strict';
// shop: the cluster primary, run by runit (`sv status shop`). It forks SHOP_WORKERS workers
// (app.js) from the release `current` points at when it starts, and never serves itself.
//
// SIGHUP (`sv hup shop`) is the zero-downtime reload: re-resolve `current` (realpath), fork
// new workers from that release, wait until every one of them listens, and only then retire
// the old workers, which finish their open requests first. If the new workers do not come up,
// they are stopped and the old ones keep serving. The outcome is written to SHOP_STATE as one
// line, `PID GENERATION serving|failed RELEASE`, which the runbook's reload step waits on.
//
// SIGTERM (`sv down shop`) retires every worker and exits once they are gone.

const cluster = require('node:cluster');
const fs = require('node:fs');
const path = require('node:path');

const CURRENT = process.env.SHOP_CURRENT || '/opt/shop/current';
const WORKERS = Math.max(1, Number(process.env.SHOP_WORKERS || 2));
const STATE = process.env.SHOP_STATE || '/run/shop/state';
const READY_MS = 45000; // a new worker must listen within this (generous: a busy host)
const RETIRE_MS = 30000; // an old worker is killed if it has not finished by then

let generation = 0;
let release = null; // realpath of the serving release
let active = []; // its workers
let reloading = false;
let reloadAgain = false;
let stopping = false;

function log(message) {
  console.log(`shop[primary ${process.pid}]: ${message}`);
}

function writeState(outcome, dir) {
  generation += 1;
  const text = `${process.pid} ${generation} ${outcome} ${path.basename(dir || 'none')}\n`;
  try {
    fs.writeFileSync(`${STATE}.tmp`, text);
    fs.renameSync(`${STATE}.tmp`, STATE);
  } catch (err) {
    log(`cannot write ${STATE}: ${err.message}`);
  }
}

/** The release `current` points at now, with its worker script. */
function resolveRelease() {
  const dir = fs.realpathSync(CURRENT);
  fs.accessSync(path.join(dir, 'app.js'), fs.constants.R_OK);
  return dir;
}

/** Forks one worker from `dir`; resolves once it listens, rejects if it dies or hangs. */
function fork(dir) {
  cluster.setupPrimary({ exec: path.join(dir, 'app.js'), args: [] });
  const worker = cluster.fork();
  worker.release = dir;
  // The retiring handshake (app.js): the worker has closed its server; the primary has
  // processed that before this message, so it hands it no more connections.
  worker.on('message', (msg) => {
    if (msg && msg.cmd === 'shop:closed' && worker.isConnected()) worker.send({ cmd: 'shop:release' });
  });
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('listening', onListening);
      worker.off('exit', onExit);
    };
    const onListening = () => { done(); resolve(worker); };
    const onExit = (code, signal) => {
      done();
      reject(new Error(`worker ${worker.process.pid} exited before listening (${signal || `code ${code}`})`));
    };
    const timer = setTimeout(() => {
      done();
      worker.process.kill('SIGKILL');
      reject(new Error(`worker ${worker.process.pid} did not listen within ${READY_MS} ms`));
    }, READY_MS);
    worker.on('listening', onListening);
    worker.on('exit', onExit);
  });
}

/** Asks a worker to finish its requests and exit; resolves when it is gone. */
function retire(worker) {
  return new Promise((resolve) => {
    if (worker.isDead()) { resolve(); return; }
    worker.retiring = true;
    const timer = setTimeout(() => {
      log(`worker ${worker.process.pid} still busy after ${RETIRE_MS} ms: killed`);
      worker.process.kill('SIGKILL');
    }, RETIRE_MS);
    worker.once('exit', () => { clearTimeout(timer); resolve(); });
    try {
      worker.send({ cmd: 'shop:retire' });
    } catch {
      worker.process.kill('SIGTERM');
    }
  });
}

/** Forks a whole generation of workers from `dir`, or none: all listen, or all are stopped. */
async function startGeneration(dir) {
  const results = await Promise.allSettled(Array.from({ length: WORKERS }, () => fork(dir)));
  const up = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (errors.length > 0) {
    await Promise.all(up.map(retire));
    throw new Error(errors.join('; '));
  }
  return up;
}

async function reload() {
  if (reloading) { reloadAgain = true; return; }
  reloading = true;
  try {
    do {
      reloadAgain = false;
      let dir = null;
      try {
        dir = resolveRelease();
        log(`reload: starting ${WORKERS} workers from ${dir}`);
        const fresh = await startGeneration(dir);
        const old = active;
        active = fresh;
        release = dir;
        await Promise.all(old.map(retire));
        writeState('serving', dir);
        log(`reload done: serving ${path.basename(dir)} (${fresh.map((w) => w.process.pid).join(', ')})`);
      } catch (err) {
        writeState('failed', dir);
        log(`reload failed, still serving ${path.basename(release || 'none')}: ${err.message}`);
      }
    } while (reloadAgain && !stopping);
  } finally {
    reloading = false;
  }
}

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: retiring ${Object.keys(cluster.workers).length} workers`);
  setTimeout(() => { log('workers did not stop in time'); process.exit(1); }, RETIRE_MS + 5000).unref();
  await Promise.all(Object.values(cluster.workers).map(retire));
  log('stopped');
  process.exit(0);
}

// A worker of the serving generation that dies unexpectedly is replaced from the same release.
cluster.on('exit', (worker, code, signal) => {
  if (stopping || worker.retiring || !active.includes(worker)) return;
  active = active.filter((w) => w !== worker);
  log(`worker ${worker.process.pid} died (${signal || `code ${code}`}); replacing it in 1 s`);
  setTimeout(() => {
    if (stopping) return;
    fork(release).then((w) => { active.push(w); }, (err) => log(`replacement failed: ${err.message}`));
  }, 1000);
});

async function main() {
  fs.mkdirSync(path.dirname(STATE), { recursive: true });
  try {
    release = resolveRelease();
    log(`starting ${WORKERS} workers from ${release}`);
    active = await startGeneration(release);
  } catch (err) {
    log(`cannot start: ${err.message}`);
    process.exit(1);
  }
  writeState('serving', release);
  log(`serving ${path.basename(release)}`);
  ready = true;
  if (reloadAgain) reload();
}

let ready = false;
// A reload asked for before the first generation listens runs once it does.
process.on('SIGHUP', () => { if (ready) reload(); else reloadAgain = true; });
process.on('SIGTERM', () => { stop('SIGTERM'); });
process.on('SIGINT', () => { stop('SIGINT'); });
main();
