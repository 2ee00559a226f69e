import cliProgress from "cli-progress";

/** What `evaluate()` reports as it goes. */
export interface EvalProgress {
  readonly done: number;
  readonly total: number;
  readonly passed: number;
  readonly phase: "references" | "grading";
}

export interface ProgressReporter {
  update(progress: EvalProgress): void;
  /** Ends the current bar (leaving its last state on screen) so other lines can be written. */
  stop(): void;
}

const PHASE_LABEL: Readonly<Record<EvalProgress["phase"], string>> = { references: "references", grading: "grading" };

/** "42 s", "3 min 05 s", "1 h 02 min"; "?" before there is a rate to go by. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/**
 * Progress on `stream`: a live bar with rate and ETA when it is a terminal, otherwise one line each
 * time a phase passes another 10% (a log file gets ten lines per phase, not thousands). The rate
 * and ETA count only work done in this run: results resumed from the file are not speed.
 */
export function createProgress(stream: NodeJS.WriteStream, now: () => number = () => performance.now()): ProgressReporter {
  let phase: EvalProgress["phase"] | undefined;
  let startedAt = 0;
  let startDone = 0;
  let lastTenth = -1;
  const bar = stream.isTTY
    ? new cliProgress.SingleBar({
        stream,
        format: "{phase} |{bar}| {percentage}% {value}/{total} · {passed} passed · {rate}/s · ETA {etaText}",
        barsize: 28,
        hideCursor: true,
        fps: 8,
        barCompleteChar: "█",
        barIncompleteChar: "░",
      })
    : undefined;

  const measure = (p: EvalProgress) => {
    const seconds = (now() - startedAt) / 1000;
    const rate = seconds > 0 ? (p.done - startDone) / seconds : 0;
    const eta = rate > 0 ? (p.total - p.done) / rate : Number.NaN;
    return { rate: rate.toFixed(1), etaText: formatEta(eta) };
  };

  return {
    update(p) {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        startedAt = now();
        startDone = p.done;
        lastTenth = p.total > 0 ? Math.floor((p.done / p.total) * 10) : 10;
        bar?.start(Math.max(p.total, 1), p.done, { phase: PHASE_LABEL[p.phase], passed: p.passed, rate: "0.0", etaText: "?" });
        return;
      }
      if (bar) {
        bar.update(p.done, { passed: p.passed, ...measure(p) });
        return;
      }
      const tenth = p.total > 0 ? Math.floor((p.done / p.total) * 10) : 10;
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      const m = measure(p);
      const passed = p.phase === "grading" ? `, ${p.passed} passed` : "";
      stream.write(`crucible: ${PHASE_LABEL[p.phase]} ${tenth * 10}% (${p.done}/${p.total})${passed}, ${m.rate}/s, ETA ${m.etaText}\n`);
    },
    stop() {
      bar?.stop();
      phase = undefined;
    },
  };
}
