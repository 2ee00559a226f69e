import { describe, expect, it } from "vitest";
import { compileSeccompFilter, DENIED_SYSCALLS } from "./seccomp.ts";

// Constants from <linux/audit.h>, <linux/seccomp.h>, <linux/filter.h> and <asm-generic/errno*.h>,
// written out here rather than imported so the test checks the filter against the kernel ABI.
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const X32_SYSCALL_BIT = 0x40000000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const ENOSYS = 38;
const ERRNO_EPERM = (RET_ERRNO | EPERM) >>> 0; // 0x00050001
const ERRNO_ENOSYS = (RET_ERRNO | ENOSYS) >>> 0; // 0x00050026

const SYS = { read: 0, write: 1, ioctl: 16, clone: 56, execve: 59, openat: 257, clone3: 435 } as const;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const TCGETS = 0x5401;

/** x86_64 numbers of the denied calls, copied from the kernel's arch/x86/entry/syscalls/syscall_64.tbl. */
const KERNEL_X86_64: Readonly<Record<string, number>> = {
  shmget: 29, semget: 64, msgget: 68, ptrace: 101, syslog: 103, personality: 135, adjtimex: 159,
  chroot: 161, acct: 163, settimeofday: 164, mount: 165, umount2: 166, swapon: 167, swapoff: 168,
  reboot: 169, sethostname: 170, setdomainname: 171, init_module: 175, delete_module: 176,
  lookup_dcookie: 212, clock_settime: 227, mq_open: 240, kexec_load: 246, add_key: 248,
  request_key: 249, keyctl: 250, unshare: 272, perf_event_open: 298, fanotify_init: 300,
  name_to_handle_at: 303, open_by_handle_at: 304, clock_adjtime: 305, setns: 308,
  process_vm_readv: 310, process_vm_writev: 311, finit_module: 313, kexec_file_load: 320, bpf: 321,
  userfaultfd: 323, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, open_tree: 428,
  move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, pidfd_getfd: 438,
  mount_setattr: 442,
};

// ------------------------------------------------------------------------------ classic BPF

interface Insn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** Decodes a `struct sock_filter[]` (u16 code, u8 jt, u8 jf, u32 k; little-endian on x86_64). */
function decodeProgram(buf: Buffer): Insn[] {
  expect(buf.length % 8).toBe(0);
  const prog: Insn[] = [];
  for (let off = 0; off < buf.length; off += 8) {
    prog.push({ code: buf.readUInt16LE(off), jt: buf.readUInt8(off + 2), jf: buf.readUInt8(off + 3), k: buf.readUInt32LE(off + 4) });
  }
  return prog;
}

const BPF_CLASS = (code: number) => code & 0x07;
const BPF_LD = 0x00;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_ABS = 0x20;
const BPF_K = 0x00;
const BPF_JA = 0x00;
const BPF_JEQ = 0x10;
const BPF_JGT = 0x20;
const BPF_JGE = 0x30;
const BPF_JSET = 0x40;

/** `struct seccomp_data` as the kernel lays it out for a syscall. */
function seccompData(arch: number, nr: number, args: readonly bigint[] = []): Buffer {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr | 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  data.writeBigUInt64LE(0x401000n, 8); // instruction_pointer
  for (let i = 0; i < 6; i++) data.writeBigUInt64LE(BigInt.asUintN(64, args[i] ?? 0n), 16 + 8 * i);
  return data;
}

/**
 * Runs a seccomp classic-BPF program the way the kernel's checker allows it: loads of 32-bit
 * words at absolute, aligned offsets of seccomp_data, forward jumps with K operands, and RET K.
 * Anything else fails the test, so a filter that relies on an instruction this does not model is
 * noticed rather than misjudged.
 */
function evaluate(prog: readonly Insn[], data: Buffer): number {
  let acc = 0;
  for (let pc = 0, steps = 0; steps <= prog.length; steps++) {
    const insn = prog[pc];
    if (insn === undefined) throw new Error(`fell off the program at ${pc}`);
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD: {
        if (insn.code !== (BPF_LD | BPF_W | BPF_ABS)) throw new Error(`unsupported load 0x${insn.code.toString(16)} at ${pc}`);
        if (insn.k % 4 !== 0 || insn.k + 4 > data.length) throw new Error(`load outside seccomp_data at ${pc}`);
        acc = data.readUInt32LE(insn.k);
        pc++;
        break;
      }
      case BPF_JMP: {
        const op = insn.code & 0xf0;
        if ((insn.code & 0x08) !== BPF_K) throw new Error(`unsupported jump source at ${pc}`);
        if (op === BPF_JA) {
          pc += 1 + insn.k;
          break;
        }
        const k = insn.k >>> 0;
        const a = acc >>> 0;
        const taken =
          op === BPF_JEQ ? a === k : op === BPF_JGT ? a > k : op === BPF_JGE ? a >= k : op === BPF_JSET ? (a & k) !== 0 : undefined;
        if (taken === undefined) throw new Error(`unsupported jump 0x${insn.code.toString(16)} at ${pc}`);
        pc += 1 + (taken ? insn.jt : insn.jf);
        break;
      }
      case BPF_RET: {
        if (insn.code !== (BPF_RET | BPF_K)) throw new Error(`unsupported return at ${pc}`);
        return insn.k >>> 0;
      }
      default:
        throw new Error(`unsupported instruction class 0x${insn.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("the program did not terminate");
}

const program = decodeProgram(compileSeccompFilter());
const x86 = (nr: number, args: readonly bigint[] = []) => evaluate(program, seccompData(AUDIT_ARCH_X86_64, nr, args));
const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

describe("compileSeccompFilter", () => {
  it("should compile to whole sock_filter records, within the kernel's 4096-instruction limit", () => {
    const buf = compileSeccompFilter();
    expect(buf.length % 8).toBe(0);
    expect(program.length).toBeGreaterThan(0);
    expect(program.length).toBeLessThanOrEqual(4096);
    // Deterministic: the same bytes every time.
    expect(compileSeccompFilter().equals(buf)).toBe(true);
  });

  it("should load the architecture first and kill the process on anything but x86_64", () => {
    expect(program[0]).toStrictEqual({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: 4 });
    const check = program[1]!;
    expect(check.code).toBe(BPF_JMP | BPF_JEQ | BPF_K);
    expect(check.k).toBe(AUDIT_ARCH_X86_64);
    expect(check.jt).toBe(0);
    const onMismatch = program[2 + check.jf]!;
    expect(onMismatch).toStrictEqual({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: RET_KILL_PROCESS });
  });

  it("should keep every jump inside the program and end every path in a return", () => {
    program.forEach((insn, pc) => {
      if (BPF_CLASS(insn.code) !== BPF_JMP) return;
      const far = (insn.code & 0xf0) === BPF_JA ? insn.k : Math.max(insn.jt, insn.jf);
      expect(pc + 1 + far, `jump at ${pc}`).toBeLessThan(program.length);
    });
    expect(BPF_CLASS(program.at(-1)!.code)).toBe(BPF_RET);
  });

  it("should only return ALLOW, ERRNO(EPERM), ERRNO(ENOSYS) or KILL_PROCESS", () => {
    const returns = new Set(program.filter((i) => BPF_CLASS(i.code) === BPF_RET).map((i) => hex(i.k)));
    expect(returns).toStrictEqual(new Set([RET_ALLOW, ERRNO_EPERM, ERRNO_ENOSYS, RET_KILL_PROCESS].map(hex)));
  });
});

describe("the seccomp policy, evaluated", () => {
  it("should name the right x86_64 numbers for every denied syscall", () => {
    expect({ ...DENIED_SYSCALLS }).toStrictEqual(KERNEL_X86_64);
  });

  it("should be frozen, so nothing can loosen the list at run time", () => {
    expect(Object.isFrozen(DENIED_SYSCALLS)).toBe(true);
  });

  it.each(Object.entries(DENIED_SYSCALLS))("should refuse %s (%i) with EPERM", (_name, nr) => {
    expect(hex(x86(nr))).toBe(hex(ERRNO_EPERM));
  });

  it.each([
    ["read", SYS.read],
    ["write", SYS.write],
    ["openat", SYS.openat],
    ["clone", SYS.clone],
    ["execve", SYS.execve],
  ])("should allow %s (%i)", (_name, nr) => {
    expect(hex(x86(nr))).toBe(hex(RET_ALLOW));
  });

  it("should allow every other ordinary syscall number, so the guest's interpreters keep working", () => {
    const special = new Set<number>([...Object.values(DENIED_SYSCALLS), SYS.clone3]);
    const wrong: string[] = [];
    for (let nr = 0; nr < 512; nr++) {
      if (special.has(nr)) continue;
      const action = x86(nr);
      if (action !== RET_ALLOW) wrong.push(`${nr} -> ${hex(action)}`);
    }
    expect(wrong).toStrictEqual([]);
  });

  it("should answer clone3 with ENOSYS so libc falls back to clone", () => {
    expect(hex(x86(SYS.clone3))).toBe(hex(ERRNO_ENOSYS));
  });

  it("should refuse the terminal-injection ioctls TIOCSTI and TIOCLINUX with EPERM", () => {
    expect(hex(x86(SYS.ioctl, [0n, BigInt(TIOCSTI)]))).toBe(hex(ERRNO_EPERM));
    expect(hex(x86(SYS.ioctl, [1n, BigInt(TIOCLINUX)]))).toBe(hex(ERRNO_EPERM));
  });

  it("should refuse TIOCSTI even with junk in the upper half of the request (the kernel truncates it to 32 bits)", () => {
    expect(hex(x86(SYS.ioctl, [0n, (0xdeadbeefn << 32n) | BigInt(TIOCSTI)]))).toBe(hex(ERRNO_EPERM));
  });

  it("should allow ordinary ioctls such as TCGETS", () => {
    expect(hex(x86(SYS.ioctl, [0n, BigInt(TCGETS)]))).toBe(hex(RET_ALLOW));
    expect(hex(x86(SYS.ioctl, [0n, 0n]))).toBe(hex(RET_ALLOW));
  });

  it("should look at the request argument, not the descriptor, of an ioctl", () => {
    expect(hex(x86(SYS.ioctl, [BigInt(TIOCSTI), BigInt(TCGETS)]))).toBe(hex(RET_ALLOW));
  });

  it("should not treat TIOCSTI in the second argument of other syscalls as special", () => {
    expect(hex(x86(SYS.write, [1n, BigInt(TIOCSTI)]))).toBe(hex(RET_ALLOW));
  });

  it("should refuse every x32-ABI syscall with EPERM, even ones allowed on x86_64", () => {
    for (const nr of [SYS.read, SYS.write, SYS.openat, SYS.clone, SYS.ioctl, DENIED_SYSCALLS["ptrace"]!, 512, 547]) {
      expect(hex(x86((nr | X32_SYSCALL_BIT) >>> 0)), `x32 ${nr}`).toBe(hex(ERRNO_EPERM));
    }
  });

  it("should kill the process for a syscall made with any other architecture's ABI", () => {
    for (const arch of [AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0]) {
      for (const nr of [SYS.read, SYS.write, DENIED_SYSCALLS["ptrace"]!]) {
        expect(hex(evaluate(program, seccompData(arch, nr))), `arch ${hex(arch)} nr ${nr}`).toBe(hex(RET_KILL_PROCESS));
      }
    }
  });
});

describe("the test's BPF interpreter", () => {
  // The verdicts above are only as good as this interpreter; check it on hand-written programs.
  const ins = (code: number, k: number, jt = 0, jf = 0): Insn => ({ code, jt, jf, k });
  it("should follow jt on a match and jf otherwise, and return K", () => {
    const prog = [ins(BPF_LD | BPF_W | BPF_ABS, 0), ins(BPF_JMP | BPF_JEQ, 7, 0, 1), ins(BPF_RET, 111), ins(BPF_RET, 222)];
    expect(evaluate(prog, seccompData(AUDIT_ARCH_X86_64, 7))).toBe(111);
    expect(evaluate(prog, seccompData(AUDIT_ARCH_X86_64, 8))).toBe(222);
  });

  it("should compare unsigned, as the kernel does", () => {
    const prog = [ins(BPF_LD | BPF_W | BPF_ABS, 0), ins(BPF_JMP | BPF_JGE, X32_SYSCALL_BIT, 0, 1), ins(BPF_RET, 1), ins(BPF_RET, 2)];
    expect(evaluate(prog, seccompData(AUDIT_ARCH_X86_64, -1))).toBe(1);
    expect(evaluate(prog, seccompData(AUDIT_ARCH_X86_64, 5))).toBe(2);
  });

  it("should refuse a jump out of the program", () => {
    expect(() => evaluate([ins(BPF_JMP | BPF_JA, 5)], seccompData(AUDIT_ARCH_X86_64, 0))).toThrow(/fell off/);
  });
});
