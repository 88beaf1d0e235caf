import assert from 'node:assert/strict';
import { OciError } from '#oci';

/** Awaits `promise` and asserts it failed with an OciError of `code` (and a message like `message`). */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<OciError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OciError, `expected an OciError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}
