// The cgroup-method policy (perf cgroup mode, BPF filter, auto fallback) with attach
// functions that fail on demand: the kernel paths themselves are in capture-profile.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attachScoped } from '../../src/capture/capture-profile.js';

const ok = (v: string) => (): string => v;
const failing = (message: string) => (): string => {
  throw new Error(message);
};

describe('attachScoped', () => {
  it('auto: perf cgroup mode when it works', () => {
    assert.deepEqual(attachScoped('auto', ok('perf'), ok('bpf'), 'x'), { value: 'perf', method: 'perf-cgroup' });
  });

  it('auto: falls back to the BPF filter and says why', () => {
    assert.deepEqual(attachScoped('auto', failing('EBADF'), ok('bpf'), 'x'), { value: 'bpf', method: 'bpf-filter', fallbackReason: 'EBADF' });
  });

  it('auto: both failing is CAPTURE_ATTACH_FAILED naming both', () => {
    assert.throws(() => attachScoped('auto', failing('EBADF'), failing('EPERM'), 'cg'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CAPTURE_ATTACH_FAILED');
      assert.match(err.message, /EBADF.*EPERM/);
      return true;
    });
  });

  it('an explicit method never falls back', () => {
    let bpfCalls = 0;
    assert.throws(() => attachScoped('perf-cgroup', failing('EBADF'), () => String(++bpfCalls), 'x'), { code: 'CAPTURE_ATTACH_FAILED' });
    assert.equal(bpfCalls, 0);
    let perfCalls = 0;
    assert.deepEqual(attachScoped('bpf-filter', () => String(++perfCalls), ok('bpf'), 'x'), { value: 'bpf', method: 'bpf-filter' });
    assert.equal(perfCalls, 0);
  });
});
