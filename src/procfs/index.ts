// Readers and parsers of procfs files, shared by tracers, capture and the CLI. Every reader
// takes the procfs root (TracerContext.procRoot: /proc live, a recorded tree in a replay
// test) and says in its type how it reports a task that has exited meanwhile.
export { readProcFile } from './read.js';
export { listHostTids, listPids, listTids } from './pids.js';
export { readComm, type ReadCommOptions } from './comm.js';
export { parseKernelStack, readKernelStack } from './stack.js';
export { parseStat, readTaskStat, readWchan, type TaskStat } from './stat.js';
export { parseMeminfo, readMeminfo } from './meminfo.js';
export { parseStatus, type ProcessMemory } from './status.js';
export { parseProcPidCgroup, readProcPidCgroup, type ProcCgroups } from './cgroup.js';
export { listOpenFds, type OpenFd } from './fds.js';
export { readProcIo, type ProcIo } from './io.js';
