// Writes small synthetic kernel BTF blobs (the raw /sys/kernel/btf/vmlinux format), so tests
// can show what the feature probes say about kernels this VM does not run: an older
// mark_victim(int pid), no block_io_start, no ring buffer... Only the kinds the probes read.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temp dirs of writeTemp(), removed when the test process exits (a few KiB each). */
const written: string[] = [];
process.once('exit', () => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

const KIND = { int: 1, ptr: 2, struct: 4, enum: 6, typedef: 8, func: 12, funcProto: 13 } as const;

export class BtfWriter {
  private readonly strings: Buffer[] = [Buffer.from([0])];
  private stringsLen = 1;
  private readonly stringOffsets = new Map<string, number>();
  private readonly types: Buffer[] = [];

  private str(s: string): number {
    if (s === '') return 0;
    let off = this.stringOffsets.get(s);
    if (off === undefined) {
      off = this.stringsLen;
      const b = Buffer.from(`${s}\0`, 'latin1');
      this.strings.push(b);
      this.stringsLen += b.length;
      this.stringOffsets.set(s, off);
    }
    return off;
  }

  private add(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[] = []): number {
    const b = Buffer.alloc(12 + extra.length * 4);
    b.writeUInt32LE(this.str(name), 0);
    b.writeUInt32LE(((kind & 0x1f) << 24) | (vlen & 0xffff), 4);
    b.writeUInt32LE(sizeOrType, 8);
    extra.forEach((v, i) => b.writeUInt32LE(v >>> 0, 12 + i * 4));
    this.types.push(b);
    return this.types.length;
  }

  int(name: string, size: number): number {
    return this.add(name, KIND.int, 0, size, [size * 8]);
  }

  ptr(to: number): number {
    return this.add('', KIND.ptr, 0, to);
  }

  typedef(name: string, to: number): number {
    return this.add(name, KIND.typedef, 0, to);
  }

  /** Members as [name, type id]; offsets are not read by the probes, so they are 0. */
  struct(name: string, members: Array<[string, number]>, size = 8): number {
    const nameOffs = members.map(([m]) => this.str(m));
    return this.add(name, KIND.struct, members.length, size, members.flatMap(([, t], i) => [nameOffs[i]!, t, 0]));
  }

  enum(name: string, values: string[]): number {
    const nameOffs = values.map((v) => this.str(v));
    return this.add(name, KIND.enum, values.length, 4, values.flatMap((_, i) => [nameOffs[i]!, i]));
  }

  proto(params: number[]): number {
    return this.add('', KIND.funcProto, params.length, 0, params.flatMap((t) => [0, t]));
  }

  func(name: string, proto = this.proto([])): number {
    return this.add(name, KIND.func, 0, proto);
  }

  /** `btf_trace_<name>`: a pointer to a prototype (void *__data, ...params), as the kernel emits. */
  tracepoint(name: string, params: number[]): number {
    const voidPtr = this.ptr(0);
    return this.typedef(`btf_trace_${name}`, this.ptr(this.proto([voidPtr, ...params])));
  }

  build(): Buffer {
    const types = Buffer.concat(this.types);
    const strings = Buffer.concat(this.strings);
    const hdr = Buffer.alloc(24);
    hdr.writeUInt16LE(0xeb9f, 0);
    hdr.writeUInt8(1, 2);
    hdr.writeUInt32LE(24, 4);
    hdr.writeUInt32LE(0, 8);
    hdr.writeUInt32LE(types.length, 12);
    hdr.writeUInt32LE(types.length, 16);
    hdr.writeUInt32LE(strings.length, 20);
    return Buffer.concat([hdr, types, strings]);
  }

  /** Writes the blob to a fresh temp dir (removed at process exit); returns its path. */
  writeTemp(name = 'vmlinux.btf'): string {
    const dir = mkdtempSync(join(tmpdir(), 'autotracer-btf-'));
    written.push(dir);
    const path = join(dir, name);
    writeFileSync(path, this.build());
    return path;
  }
}

export interface FakeKernelOptions {
  /** oom/mark_victim's victim argument: the task (6.9+) or the pid (older). */
  markVictim: 'task' | 'pid';
  blockIoStart: boolean;
  ringbuf: boolean;
  /** sched_switch passes prev_state (5.18+). */
  switchPrevState: boolean;
  percpuLookup: boolean;
  threadInfoCpu: boolean;
}

export const NEW_KERNEL: FakeKernelOptions = { markVictim: 'task', blockIoStart: true, ringbuf: true, switchPrevState: true, percpuLookup: true, threadInfoCpu: true };

/** A BTF with just what the tracers' feature probes look at, shaped like a chosen kernel. */
export function fakeKernelBtf(o: FakeKernelOptions): BtfWriter {
  const w = new BtfWriter();
  const int = w.int('int', 4);
  const uint = w.int('unsigned int', 4);
  const bool = w.int('_Bool', 1);
  const task = w.struct('task_struct', [['pid', int], ['tgid', int], ['__state', uint]]);
  const taskPtr = w.ptr(task);
  w.struct('thread_info', o.threadInfoCpu ? [['flags', uint], ['cpu', uint]] : [['flags', uint]]);
  w.enum('bpf_attach_type', ['BPF_CGROUP_INET_INGRESS', 'BPF_TRACE_RAW_TP']);
  w.enum('bpf_map_type', ['BPF_MAP_TYPE_UNSPEC', 'BPF_MAP_TYPE_HASH', ...(o.ringbuf ? ['BPF_MAP_TYPE_RINGBUF'] : [])]);
  w.enum('bpf_func_id', ['BPF_FUNC_unspec', 'BPF_FUNC_get_current_task_btf', ...(o.percpuLookup ? ['BPF_FUNC_map_lookup_percpu_elem'] : [])]);
  const uid = w.typedef('uid_t', uint);
  w.tracepoint('mark_victim', o.markVictim === 'task' ? [taskPtr, uid] : [int]);
  w.tracepoint('signal_generate', [int, w.ptr(0), taskPtr, int, int]);
  w.tracepoint('sched_switch', o.switchPrevState ? [bool, taskPtr, taskPtr, uint] : [bool, taskPtr, taskPtr]);
  for (const tp of ['sched_wakeup', 'sched_wakeup_new', 'sched_migrate_task', 'sched_process_hang']) w.tracepoint(tp, [taskPtr]);
  const rq = w.ptr(w.struct('request', []));
  for (const tp of ['block_rq_insert', 'block_rq_issue', 'block_rq_complete']) w.tracepoint(tp, [rq]);
  if (o.blockIoStart) w.tracepoint('block_io_start', [rq]);
  w.tracepoint('mm_vmscan_direct_reclaim_begin', [int, uint]);
  const ulong = w.int('long unsigned int', 8);
  w.tracepoint('mm_vmscan_direct_reclaim_end', [ulong]);
  w.tracepoint('mm_vmscan_memcg_reclaim_begin', [int, uint]);
  w.tracepoint('mm_vmscan_memcg_reclaim_end', [ulong]);
  w.tracepoint('sys_enter', [w.ptr(w.struct('pt_regs', [])), w.int('long int', 8)]);
  w.tracepoint('writeback_dirty_folio', [w.ptr(w.struct('folio', [])), w.ptr(w.struct('address_space', []))]);
  return w;
}
