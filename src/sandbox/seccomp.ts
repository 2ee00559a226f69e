/**
 * A seccomp-BPF filter for guests, compiled here to the raw `struct sock_filter` array that
 * bubblewrap loads with `--seccomp FD`. It refuses (EPERM) the syscalls a guest has no business
 * making and that would otherwise reach kernel attack surface or cross runs: ptrace and access to
 * other processes' memory, mount and namespace calls, keyrings, bpf, perf, io_uring, userfaultfd,
 * module and kexec loading, SysV and POSIX message IPC (which would outlive a run inside a warm
 * supervisor), and the terminal-injection ioctls. `clone3` answers ENOSYS so libc falls back to
 * `clone`, whose flags bubblewrap's `--disable-userns` already constrains. Any architecture other
 * than x86_64, and the x32 ABI, is refused outright.
 */

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const ENOSYS = 38;

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;

/** x86_64 syscall numbers refused with EPERM, by name (for docs and tests). */
export const DENIED_SYSCALLS: Readonly<Record<string, number>> = Object.freeze({
  shmget: 29,
  semget: 64,
  msgget: 68,
  ptrace: 101,
  syslog: 103,
  personality: 135,
  adjtimex: 159,
  chroot: 161,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  init_module: 175,
  delete_module: 176,
  lookup_dcookie: 212,
  clock_settime: 227,
  mq_open: 240,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  pidfd_getfd: 438,
  mount_setattr: 442,
});

const SYS_IOCTL = 16;
const SYS_CLONE3 = 435;
/** ioctl requests refused: pushing bytes into a terminal's input (TIOCSTI) and TIOCLINUX. */
const DENIED_IOCTLS = [0x5412, 0x541c];

type Insn = { code: number; jt: number | string; jf: number | string; k: number; label?: string };

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;

/** The filter as the bytes bubblewrap expects on its `--seccomp` descriptor. */
export function compileSeccompFilter(): Buffer {
  const prog: Insn[] = [];
  const emit = (code: number, k: number, jt: number | string = 0, jf: number | string = 0, label?: string) =>
    prog.push(label === undefined ? { code, jt, jf, k } : { code, jt, jf, k, label });

  emit(LD_W_ABS, 4); // seccomp_data.arch
  emit(JEQ_K, AUDIT_ARCH_X86_64, 0, "kill");
  emit(LD_W_ABS, 0); // seccomp_data.nr
  emit(JGE_K, X32_SYSCALL_BIT, "eperm", 0);
  for (const nr of Object.values(DENIED_SYSCALLS)) emit(JEQ_K, nr, "eperm", 0);
  emit(JEQ_K, SYS_CLONE3, "enosys", 0);
  emit(JEQ_K, SYS_IOCTL, 0, "allow");
  emit(LD_W_ABS, 24); // low 32 bits of args[1], the ioctl request
  for (const req of DENIED_IOCTLS) emit(JEQ_K, req, "eperm", 0);
  emit(RET_K, RET_ALLOW, 0, 0, "allow");
  emit(RET_K, RET_ERRNO | EPERM, 0, 0, "eperm");
  emit(RET_K, RET_ERRNO | ENOSYS, 0, 0, "enosys");
  emit(RET_K, RET_KILL_PROCESS, 0, 0, "kill");

  const labels = new Map<string, number>();
  prog.forEach((insn, i) => insn.label !== undefined && labels.set(insn.label, i));
  const resolve = (target: number | string, at: number): number => {
    if (typeof target === "number") return target;
    const to = labels.get(target);
    if (to === undefined) throw new Error(`seccomp: no label ${target}`);
    const offset = to - at - 1;
    if (offset < 0 || offset > 255) throw new Error(`seccomp: jump to ${target} out of range`);
    return offset;
  };

  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    out.writeUInt16LE(insn.code, i * 8);
    out.writeUInt8(resolve(insn.jt, i), i * 8 + 2);
    out.writeUInt8(resolve(insn.jf, i), i * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return out;
}
