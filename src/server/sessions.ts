import { randomUUID } from "node:crypto";
import { CrucibleError } from "../errors.ts";
import type { Sandbox, Session, SessionRequest } from "../sandbox/sandbox.ts";

export interface SessionTableOptions {
  /** Sessions one MCP client may hold open at once. */
  readonly maxSessions: number;
  /** A session nobody used for this long is closed. */
  readonly idleMs: number;
}

interface Entry {
  readonly session: Session;
  timer: NodeJS.Timeout | null;
  inFlight: number;
}

/**
 * The sandbox sessions of one MCP client. Ids are random, and each client has its own table, so a
 * client can neither guess nor reach another's sessions. A session is closed when its client
 * closes it, after `idleMs` without use (never while a call is running), or when the client
 * disconnects (`closeAll`).
 */
export class SessionTable {
  private readonly entries = new Map<string, Entry>();
  private opening = 0;
  private closed = false;
  private readonly sandbox: Sandbox;
  private readonly options: SessionTableOptions;

  constructor(sandbox: Sandbox, options: SessionTableOptions) {
    this.sandbox = sandbox;
    this.options = options;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Opens a session; `busy` when this client already holds `maxSessions` (or the sandbox is full). */
  async open(request: SessionRequest): Promise<{ id: string; session: Session }> {
    if (this.closed) throw new CrucibleError("closed", "this client's connection is closing");
    if (this.entries.size + this.opening >= this.options.maxSessions) {
      throw new CrucibleError("busy", `this client already has ${this.options.maxSessions} sessions open, the most allowed; close one with session_close`, {
        details: { maxSessions: this.options.maxSessions },
      });
    }
    this.opening++;
    let session: Session;
    try {
      session = await this.sandbox.session(request);
    } finally {
      this.opening--;
    }
    if (this.closed) {
      await session.close();
      throw new CrucibleError("closed", "this client's connection closed while the session was opening");
    }
    const id = randomUUID();
    const entry: Entry = { session, timer: null, inFlight: 0 };
    this.entries.set(id, entry);
    this.arm(id, entry);
    return { id, session };
  }

  /** Runs `task` on session `id`, keeping it from expiring meanwhile. */
  async use<T>(id: string, task: (session: Session) => Promise<T>): Promise<T> {
    const entry = this.entries.get(id);
    if (!entry) {
      throw new CrucibleError("invalid_argument", `no open session ${JSON.stringify(id)}: it was closed, expired after ${Math.round(this.options.idleMs / 1000)} s idle, or never existed; open one with session_open`);
    }
    entry.inFlight++;
    try {
      return await task(entry.session);
    } finally {
      entry.inFlight--;
      this.arm(id, entry);
    }
  }

  /** Closes session `id`; false when there was no such session. */
  async close(id: string): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    await entry.session.close();
    return true;
  }

  /** Closes every session and refuses new ones (the client disconnected). */
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.entries.keys()].map((id) => this.close(id)));
  }

  private arm(id: string, entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (this.entries.get(id) !== entry) return;
      if (entry.inFlight > 0) return; // re-armed when the running call ends
      void this.close(id);
    }, this.options.idleMs);
    entry.timer.unref();
  }
}
