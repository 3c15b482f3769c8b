import type { OutputStream } from '../io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

/**
 * Shows that a step is waiting. On a terminal a spinner line is redrawn in
 * place and erased when the step ends; anywhere else (a pipe, a log, `--json`)
 * nothing is drawn, so output stays plain lines.
 */
export class Progress {
  readonly #stream: OutputStream;
  readonly #enabled: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(stream: OutputStream, enabled: boolean) {
    this.#stream = stream;
    this.#enabled = enabled && stream.isTTY === true;
  }

  /** Runs `work` with a spinner labelled `label` while it waits. */
  async run<T>(label: string, work: () => Promise<T>): Promise<T> {
    if (!this.#enabled) return work();
    let frame = 0;
    const draw = (): void => {
      this.#stream.write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label}…`);
    };
    draw();
    this.#timer = setInterval(draw, 80);
    // A finished command must not wait for the next frame.
    this.#timer.unref?.();
    try {
      return await work();
    } finally {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#stream.write(CLEAR_LINE);
    }
  }
}
