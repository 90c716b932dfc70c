import * as fs from 'node:fs';
import * as path from 'node:path';

/** A set of strings kept in a JSON file (a workspace's "don't show again" choices). Never throws. */
export class PersistedSet {
  private readonly items = new Set<string>();
  /** Why the file could not be read or written, in plain words; null when all is well. */
  problem: string | null = null;

  /** `file` null keeps the set in memory only. */
  constructor(private readonly file: string | null) {
    if (!file) return;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.problem = `Could not read ${file}: ${(err as Error).message}`;
      return;
    }
    try {
      const list: unknown = JSON.parse(text);
      if (!Array.isArray(list)) throw new Error('not a list');
      for (const x of list) if (typeof x === 'string') this.items.add(x);
    } catch (err) {
      this.problem = `${file} is damaged (${(err as Error).message}); starting with no saved choices.`;
    }
  }

  has(item: string): boolean {
    return this.items.has(item);
  }

  values(): string[] {
    return [...this.items];
  }

  add(item: string): void {
    if (this.items.has(item)) return;
    this.items.add(item);
    this.save();
  }

  clear(): void {
    this.items.clear();
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // Write then rename, so a crash mid-write leaves the old file, never half of one.
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify([...this.items], null, 1));
      fs.renameSync(tmp, this.file);
      this.problem = null;
    } catch (err) {
      this.problem = `Could not save ${this.file}: ${(err as Error).message}`;
    }
  }
}
