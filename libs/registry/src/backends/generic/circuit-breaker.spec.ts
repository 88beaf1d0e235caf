import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isOciError } from '#oci';
import { CircuitBreaker } from './circuit-breaker';

/** A clock that moves only when told to. */
function manualClock(start = 1_700_000_000_000): { now(): number; advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

function failFastError(breaker: CircuitBreaker): { message: string; headers: Record<string, string>; status: number } {
  try {
    breaker.admit().settle('neutral');
  } catch (err) {
    assert.ok(isOciError(err));
    assert.equal(err.code, 'UNAVAILABLE');
    return { message: err.message, headers: err.headers, status: err.status };
  }
  assert.fail('the breaker let a request through');
}

describe('CircuitBreaker', () => {
  test('opens after N consecutive failures and fails fast with 503 naming the backend and Retry-After', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker('corp', { failures: 3, openSeconds: 30 }, clock.now);
    for (let i = 0; i < 2; i++) breaker.admit().settle('failure');
    assert.equal(breaker.status().state, 'closed');
    breaker.admit().settle('failure');
    assert.equal(breaker.status().state, 'open');
    const err = failFastError(breaker);
    assert.equal(err.status, 503);
    assert.equal(err.message, 'backend corp is unavailable (circuit open after 3 failures; retry in 30s)');
    assert.equal(err.headers['retry-after'], '30');
    clock.advance(20_500);
    assert.equal(failFastError(breaker).headers['retry-after'], '10');
    assert.equal(breaker.status().retryAt, new Date(clock.now() + 9_500).toISOString());
  });

  test('a success in between resets the count; neutral outcomes (client faults) change nothing', () => {
    const breaker = new CircuitBreaker('corp', { failures: 2, openSeconds: 30 }, manualClock().now);
    breaker.admit().settle('failure');
    breaker.admit().settle('neutral');
    breaker.admit().settle('success');
    breaker.admit().settle('failure');
    assert.deepEqual(breaker.status(), { state: 'closed', consecutiveFailures: 1 });
  });

  test('after the cool-down one probe goes through (half-open); success closes the circuit', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker('corp', { failures: 1, openSeconds: 10 }, clock.now);
    breaker.admit().settle('failure');
    clock.advance(10_000);
    assert.equal(breaker.status().state, 'half-open');
    const probe = breaker.admit();
    // While the probe is out, everyone else still fails fast.
    assert.match(failFastError(breaker).message, /circuit open/);
    probe.settle('success');
    assert.deepEqual(breaker.status(), { state: 'closed', consecutiveFailures: 0 });
    breaker.admit().settle('success');
  });

  test('a failed probe opens the circuit again for a full cool-down', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker('corp', { failures: 2, openSeconds: 10 }, clock.now);
    breaker.admit().settle('failure');
    breaker.admit().settle('failure');
    clock.advance(10_000);
    breaker.admit().settle('failure');
    assert.equal(breaker.status().state, 'open');
    assert.equal(failFastError(breaker).headers['retry-after'], '10');
    clock.advance(9_999);
    failFastError(breaker);
    clock.advance(1);
    breaker.admit().settle('success');
    assert.equal(breaker.status().state, 'closed');
  });

  test('a probe that ends neutral frees the slot for the next probe', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker('corp', { failures: 1, openSeconds: 5 }, clock.now);
    breaker.admit().settle('failure');
    clock.advance(5_000);
    breaker.admit().settle('neutral');
    assert.equal(breaker.status().state, 'half-open');
    breaker.admit().settle('success');
    assert.equal(breaker.status().state, 'closed');
  });

  test('failures: 0 never opens', () => {
    const breaker = new CircuitBreaker('corp', { failures: 0, openSeconds: 5 }, manualClock().now);
    for (let i = 0; i < 100; i++) breaker.admit().settle('failure');
    assert.equal(breaker.status().state, 'closed');
  });

  test('settling twice counts once', () => {
    const breaker = new CircuitBreaker('corp', { failures: 2, openSeconds: 5 }, manualClock().now);
    const admission = breaker.admit();
    admission.settle('failure');
    admission.settle('failure');
    assert.equal(breaker.status().state, 'closed');
  });
});
