// One status line on the terminal: step, scenario, server, run, time left.

export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly totalSteps: number, private readonly secondsPerStep: number) {}

  private left(): string {
    const remainingSteps = this.totalSteps - this.done;
    const elapsed = (Date.now() - this.started) / 1000;
    // Blend the plan with what steps have really cost so far.
    const perStep = this.done > 0 ? elapsed / this.done : this.secondsPerStep;
    const s = Math.max(0, Math.round(remainingSteps * perStep));
    return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
  }

  show(what: string): void {
    const line = `[${this.done + 1}/${this.totalSteps}] ${what} · ~${this.left()} left`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(line + '\n');
  }

  step(): void {
    this.done++;
  }

  /** A line that stays (a result or a warning). */
  note(line: string): void {
    process.stderr.write(this.tty ? `\r\x1b[K${line}\n` : line + '\n');
  }
}
