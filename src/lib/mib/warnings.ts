/**
 * MIB load warnings: a load's issues folded into one problem per file (a broken vendor
 * file should cost the user one line in the debug sidebar, not forty), and the log that
 * tells listeners about each distinct warning exactly once across reloads.
 */
import * as path from 'path';
import { clip } from '../common/properties';
import type { MibProblem } from './types';

/** Longest file or module name a warning quotes. */
const MAX_NAME_SHOWN = 100;

/**
 * A module or other name as a warning quotes it: control characters as "?" and at most
 * 100 characters, so that a hostile MIB cannot forge log lines or flood them.
 */
export function shownName(name: string): string {
  return clip(name, MAX_NAME_SHOWN);
}

/** Names a warning lists before "and N more". */
const MAX_NAMES_LISTED = 10;

/** Names as a warning lists them: the first 10, each as shownName, then "and N more". */
export function shownList(names: string[]): string {
  const listed = names.slice(0, MAX_NAMES_LISTED).map(shownName).join(', ');
  return names.length > MAX_NAMES_LISTED ? `${listed} and ${names.length - MAX_NAMES_LISTED} more` : listed;
}

/**
 * A file path as a warning quotes it: control characters as "?" (a file named
 * "evil\n7 Dec 15:00:00 - [error] ..." would otherwise forge a Node-RED log line), its
 * name cut at 100 characters and its folder to its last 100.
 */
export function shownFile(file: string): string {
  const base = path.basename(file);
  const dir = file.slice(0, file.length - base.length);
  const tail = dir.length > MAX_NAME_SHOWN ? '...' + dir.slice(-(MAX_NAME_SHOWN - 3)) : dir;
  return clip(tail, MAX_NAME_SHOWN) + shownName(base);
}

/** Problem text as logged: control characters as "?" (the names in it are cut already). */
function shownText(text: string): string {
  return clip(text, Infinity);
}

const FOLDER_MISSING = 'not found or not a folder';

export type WarningListener = (message: string, problem: MibProblem) => void;

/** Gathers the issues of one load, file by file. */
export class ProblemCollector {
  private readonly byFile = new Map<string, MibProblem>();

  add(file: string, line: number | undefined, message: string, modules: string[] = [], missing: string[] = []): void {
    let p = this.byFile.get(file);
    if (!p) {
      p = { file, modules: [], missingModules: [], issues: [], message: '' };
      this.byFile.set(file, p);
    }
    message = shownText(message);
    p.issues.push(missing.length > 0 ? { line: line || undefined, message, missingModules: missing.slice() } : { line: line || undefined, message });
    for (const m of modules) if (!p.modules.includes(m)) p.modules.push(m);
    for (const m of missing) if (!p.missingModules.includes(m)) p.missingModules.push(m);
  }

  /** A configured folder that is absent: the user's typo, so it gets its own wording. */
  folderMissing(dir: string): void {
    this.add(dir, undefined, FOLDER_MISSING);
  }

  /** One problem per file, its one-line message naming the first issue. */
  problems(): MibProblem[] {
    const problems: MibProblem[] = [];
    for (const p of this.byFile.values()) {
      const first = p.issues.find((i) => i.line !== undefined) ?? p.issues[0];
      p.line = first?.line;
      const where = p.line !== undefined ? `${shownFile(p.file)}:${p.line}` : shownFile(p.file);
      const missing = p.missingModules.length ? ` (missing module${p.missingModules.length > 1 ? 's' : ''} ${p.missingModules.map(shownName).join(', ')})` : '';
      const more = p.issues.length > 1 ? ` (+${p.issues.length - 1} more)` : '';
      // A missing import's message already names the module; keep the line short.
      const named = first.message.includes('which is not loaded') && p.missingModules.length === 1;
      p.message = first.message === FOLDER_MISSING
        ? `MIB folder ${shownFile(p.file)}: ${FOLDER_MISSING}`
        : `MIB file ${where}: ${first.message}${more}${named ? '' : missing}`;
      problems.push(p);
    }
    return problems;
  }
}

/**
 * The warnings a service has given. Keyed by message text, so a reload that meets the
 * same broken file again stays silent.
 */
export class WarningLog {
  private current: MibProblem[] = [];
  private readonly emitted = new Set<string>();
  private readonly history: string[] = [];
  private readonly listeners = new Set<WarningListener>();

  /** Every distinct warning so far, oldest first (append-only; see MibService.warnings). */
  all(): string[] {
    return this.history.slice();
  }

  /** The problem files of the last successful load. */
  problems(): MibProblem[] {
    return this.current.slice();
  }

  /** Replaces the current problems and announces those not announced before. */
  setProblems(problems: MibProblem[]): void {
    this.current = problems;
    for (const p of problems) this.emit(p);
  }

  subscribe(listener: WarningListener): () => void {
    this.listeners.add(listener);
    for (const p of this.current) {
      try {
        listener(p.message, p);
      } catch {
        // as in emit(): a listener's failure is its own
      }
    }
    return () => { this.listeners.delete(listener); };
  }

  emit(p: MibProblem): void {
    const key = p.message;
    if (this.emitted.has(key)) return;
    this.emitted.add(key);
    this.history.push(key);
    for (const l of this.listeners) {
      try {
        l(p.message, p);
      } catch {
        // a listener's failure must not stop loading
      }
    }
  }
}
