// The profile attached to events: a failed capture still yields the event's fields, with
// an empty flamedata and the error's stable code (the anomaly is not lost).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeCapturePool } from '../../src/capture/index.js';
import { profileForEvent } from '../../src/actors/tracers/shared/profile.js';

describe('profileForEvent', () => {
  after(() => closeCapturePool());
  it('turns a capture failure into capture_error instead of throwing', async () => {
    const p = await profileForEvent({ durationMs: 500, frequency: 99, scope: { kind: 'cgroup', path: '/sys/fs/cgroup/unified/cputracers-does-not-exist' } });
    assert.deepEqual(p.flamedata, []);
    assert.equal(p.folded, '');
    assert.equal(p.profile, undefined);
    assert.equal(p.capture_error?.code, 'CAPTURE_CGROUP_NOT_FOUND');
  });
  it('summarises a real host capture', async () => {
    const p = await profileForEvent({ durationMs: 500, frequency: 99, scope: { kind: 'host' } });
    assert.equal(p.capture_error, undefined);
    assert.ok(p.profile !== undefined && p.profile.samples > 0 && p.profile.samples === p.flamedata[0]?.value);
    // maps: the stack/counts map sizes used; host_pid_namespace (+ pid_namespace_reason when false): #13 item 9.
    assert.deepEqual(Object.keys(p.profile), ['started_at', 'duration_ms', 'frequency', 'samples', 'lost', 'maps', 'host_pid_namespace', 'scope', 'aborted', 'processes']);
    assert.equal(p.profile.host_pid_namespace, true);
    assert.equal(p.folded.trim().split('\n').reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0), p.profile.samples);
  });
});
