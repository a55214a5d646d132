// A sysfs-shaped directory for block-device topology tests (this kernel has no dm or md):
// devices/virtual/block/<disk>[/<partition>] with `dev`, `partition` and `slaves/`, linked
// from class/block/<name> and dev/block/<major>:<minor> like the real /sys.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export class SysfsFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'iot-sysfs-'));

  /** `path`: "<disk>" or "<disk>/<partition>"; `dev`: "major:minor". */
  device(path: string, dev: string, options: { partition?: boolean; slaves?: string[] } = {}): void {
    const dir = join(this.root, 'devices', 'virtual', 'block', path);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dev'), `${dev}\n`);
    if (options.partition === true) writeFileSync(join(dir, 'partition'), '1\n');
    else mkdirSync(join(dir, 'slaves'), { recursive: true });
    const name = path.split('/').pop()!;
    for (const link of [join(this.root, 'class', 'block', name), join(this.root, 'dev', 'block', dev)]) {
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), dir), link);
    }
    for (const slave of options.slaves ?? []) this.addSlave(name, slave);
  }

  addSlave(holderPath: string, slave: string): void {
    writeFileSync(join(this.root, 'devices', 'virtual', 'block', holderPath, 'slaves', slave), '');
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
