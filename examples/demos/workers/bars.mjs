// Progress bars for the pool demos: redrawn in place on a terminal, printed as lines when the
// output is a file or a pipe (then only every `every`-th redraw, and the last one).

const WIDTH = 30;

/** One bar: `label [#####.....]  50%`. */
export function bar(label, fraction, suffix = '') {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * WIDTH);
  return `  ${label.padEnd(10)} [${'#'.repeat(full)}${'.'.repeat(WIDTH - full)}] ${String(Math.round(f * 100)).padStart(3)}%${suffix ? `  ${suffix}` : ''}`;
}

/** A block of lines redrawn in place on a TTY; on a pipe, printed every `every` draws and at the end. */
export function board(lines, every = 10) {
  const tty = process.stdout.isTTY;
  let drawn = 0;
  let draws = 0;
  const draw = (force = false) => {
    const text = lines();
    if (tty) {
      if (drawn > 0) process.stdout.write(`\x1b[${drawn}A`);
      process.stdout.write(text.map((l) => `\x1b[2K${l}\n`).join(''));
      drawn = text.length;
    } else if (force || draws % every === 0) {
      console.log(text.join('\n') + '\n');
    }
    draws++;
  };
  return { draw, done: () => draw(true) };
}
