import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkerHealth } from './worker-health';

describe('WorkerHealth', () => {
  test('healthy while the workers run and Redis answered within the window; one ping in flight at most', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    let running = true;
    let answers = true;
    let pings = 0;
    const health = new WorkerHealth({
      workersRunning: () => running,
      ping: () => {
        pings++;
        return answers ? Promise.resolve('PONG') : new Promise(() => undefined);
      },
      windowMs: 10_000,
    });
    health.start();
    await Promise.resolve();
    assert.deepEqual(health.status(), { healthy: true, workers: 'running', redisSilentSeconds: 0 });

    // Pings every 2.5s (a quarter of the window): the one sent at 2.5s is never answered.
    answers = false;
    t.mock.timers.tick(2500);
    await Promise.resolve();
    assert.equal(pings, 2);
    t.mock.timers.tick(7500);
    assert.equal(pings, 2, 'no second ping while one is unanswered');
    // Redis last answered at 0.
    assert.deepEqual(health.status(), { healthy: true, workers: 'running', redisSilentSeconds: 10 });
    t.mock.timers.tick(500);
    assert.deepEqual(health.status(), { healthy: false, workers: 'running', redisSilentSeconds: 10.5 });

    running = false;
    assert.equal(health.status().workers, 'stopped');
    health.stop();
  });
});
