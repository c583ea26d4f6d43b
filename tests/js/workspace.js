// The TaskRouter JavaScript SDK's supervisor-side Workspace, for tests/js/test_js_sdk.py.
// Usage: node workspace.js <http base URL> <workspace token> <workspace sid> <task sid>
// Prints one JSON object with what the SDK read, or {"error": ...} (exit code 1).
'use strict';

const { Workspace } = require('twilio-taskrouter');

const [base, token, workspaceSid, taskSid] = process.argv.slice(2);
const workspace = new Workspace(
  token,
  { ebServer: `${base}/v1/wschannels`, wsServer: `${base.replace(/^http/, 'ws')}/v1/wschannels`, logLevel: 'silent' },
  workspaceSid,
);

const names = (map) => Array.from(map.values()).map((x) => x.friendlyName || x.name).sort();

(async () => {
  const everyone = await workspace.fetchWorkersInfo();
  const supporters = await workspace.fetchWorkersInfo({ TargetWorkersExpression: 'skills HAS "support"' });
  const queues = await workspace.fetchTaskQueues();
  const [queueSid] = queues.keys();
  const queue = await workspace.fetchTaskQueue(queueSid);
  const [workerSid] = everyone.keys();
  const worker = await workspace.fetchWorkerInfo(workerSid);
  const task = await workspace.fetchTask(taskSid);
  return {
    workers: names(everyone),
    supporters: names(supporters),
    queues: names(queues),
    queue: { name: queue.queueName, target_workers: queue.targetWorkers },
    worker: { sid: worker.sid, name: worker.friendlyName, activity: worker.activityName },
    task: { sid: task.sid, status: task.status, attributes: task.attributes, queue: task.queueName },
  };
})().then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n'),
  (error) => {
    process.stdout.write(JSON.stringify({ error: String(error && error.message) }) + '\n');
    process.exitCode = 1;
  },
);
