// A TaskRouter JavaScript SDK Worker driven line by line, for tests/js/test_js_sdk.py.
//
// Reads commands as JSON lines on stdin ({"id", "op", ...}), answers each with
// {"id", "ok", "result" | "error"} and reports what the SDK emits as {"ev", ...} lines.
// Usage: node worker.js <http base URL> <worker token>
'use strict';

const readline = require('readline');
const { Worker } = require('twilio-taskrouter');

const [base, token, closeExisting] = process.argv.slice(2);
const ws = base.replace(/^http/, 'ws');

function say(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function describe(reservation) {
  return {
    sid: reservation.sid,
    status: reservation.status,
    task_sid: reservation.task.sid,
    task_status: reservation.task.status,
    task_attributes: reservation.task.attributes,
    task_queue: reservation.task.queueName,
    task_channel: reservation.task.taskChannelUniqueName,
  };
}

const RESERVATION_EVENTS = ['accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'completed', 'wrapup'];
const TASK_EVENTS = ['updated', 'canceled', 'completed', 'wrapup'];

function follow(reservation) {
  for (const name of RESERVATION_EVENTS) {
    reservation.on(name, (r) => say({ ev: `reservation.${name}`, reservation: describe(r) }));
  }
  for (const name of TASK_EVENTS) {
    reservation.task.on(name, (t) => say({ ev: `task.${name}`, task_sid: t.sid, status: t.status, reason: t.reason }));
  }
}

const worker = new Worker(token, {
  ebServer: `${base}/v1/wschannels`,
  wsServer: `${ws}/v1/wschannels`,
  closeExistingSessions: closeExisting === 'true',
  enableVersionCheck: process.env.SB_VERSION_CHECK === 'true',
  logLevel: 'silent',
});

worker.on('ready', (w) => {
  for (const reservation of w.reservations.values()) follow(reservation);
  say({
    ev: 'ready',
    sid: w.sid,
    account_sid: w.accountSid,
    workspace_sid: w.workspaceSid,
    activity: w.activity && w.activity.name,
    available: w.activity && w.activity.available,
    attributes: w.attributes,
    activities: Array.from(w.activities.values()).map((a) => ({ sid: a.sid, name: a.name, available: a.available })),
    channels: Array.from(w.channels.values()).map((c) => ({ name: c.taskChannelUniqueName, capacity: c.capacity })),
    reservations: Array.from(w.reservations.values()).map(describe),
  });
});
worker.on('reservationCreated', (reservation) => {
  follow(reservation);
  say({ ev: 'reservationCreated', reservation: describe(reservation) });
});
worker.on('reservationFailed', (payload) => say({ ev: 'reservationFailed', payload }));
worker.on('activityUpdated', (w) => say({ ev: 'activityUpdated', activity: w.activity.name, available: w.activity.available }));
worker.on('attributesUpdated', (w) => say({ ev: 'attributesUpdated', attributes: w.attributes }));
worker.on('disconnected', (reason) => say({ ev: 'disconnected', reason: reason && reason.message }));
worker.on('error', (error) => say({ ev: 'error', message: String(error && error.message) }));
worker.on('tokenExpired', () => say({ ev: 'tokenExpired' }));

function reservation(sid) {
  const found = worker.reservations.get(sid);
  if (!found) throw new Error(`no reservation ${sid} in the worker's map`);
  return found;
}

const OPERATIONS = {
  activity: async ({ name }) => {
    const activity = Array.from(worker.activities.values()).find((a) => a.name === name);
    if (!activity) throw new Error(`no activity named ${name}`);
    await activity.setAsCurrent();
    return { activity: worker.activity.name, available: worker.activity.available };
  },
  accept: async ({ sid }) => describe(await reservation(sid).accept()),
  reject: async ({ sid }) => describe(await reservation(sid).reject()),
  wrap: async ({ sid }) => {
    const task = await reservation(sid).task.wrapUp();
    return { task_sid: task.sid, status: task.status };
  },
  complete: async ({ sid, reason }) => {
    const task = await reservation(sid).task.complete(reason);
    return { task_sid: task.sid, status: task.status, reason: task.reason };
  },
  attributes: async ({ attributes }) => {
    const updated = await worker.setAttributes(attributes);
    return { attributes: updated.attributes, version: updated.version };
  },
  reservations: async () => Array.from(worker.reservations.values()).map(describe),
  exit: async () => {
    worker.disconnect();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  const operation = OPERATIONS[command.op];
  Promise.resolve()
    .then(() => {
      if (!operation) throw new Error(`unknown op ${command.op}`);
      return operation(command);
    })
    .then((result) => say({ id: command.id, ok: true, result }))
    .catch((error) => say({ id: command.id, ok: false, error: String(error && error.message) }));
});
// the test's end is ours too: stdin closing (the test process went away) ends the worker
process.stdin.on('end', () => process.exit(0));
process.on('uncaughtException', (error) => {
  say({ ev: 'uncaught', message: String(error && error.stack) });
  process.exit(3);
});
