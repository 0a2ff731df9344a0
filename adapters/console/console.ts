import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Bot, Requester } from '../../src/core/bot.ts';
import type { Message } from '../../src/core/messages.ts';
import { renderText } from './render.ts';

export interface ConsoleOptions {
  readonly bot: Bot;
  readonly input: Readable;
  readonly output: Writable;
  /** Prompt and colours only when a person is at a terminal; a pipe gets plain lines. */
  readonly interactive: boolean;
  readonly who?: Requester;
}

export const CONSOLE_REQUESTER: Requester = { platform: 'console', tenant: 'console', channel: 'console', user: 'you' };

/**
 * The shell adapter: type the same commands as in chat, with or without the "/isdown"
 * prefix. Commands run one after another, in the order typed, so piped scripts are
 * deterministic. Resolves when the input ends and every command has been answered.
 */
export function runConsole(opts: ConsoleOptions): { done: Promise<{ lines: number }>; print(m: Message): void } {
  const who = opts.who ?? CONSOLE_REQUESTER;
  const write = (s: string) => opts.output.write(`${s}\n`);
  const print = (m: Message) => write(renderText(m, { color: opts.interactive }));
  const rl = createInterface({ input: opts.input, output: opts.interactive ? opts.output : undefined, terminal: opts.interactive });
  const prompt = () => {
    if (opts.interactive) rl.prompt();
  };
  rl.setPrompt('isdown> ');

  let queue = Promise.resolve();
  let lines = 0;
  const done = new Promise<{ lines: number }>((resolve) => {
    rl.on('line', (line) => {
      lines++;
      const text = line.trim();
      if (!text) return prompt();
      if (text === 'exit' || text === 'quit') return rl.close();
      queue = queue
        .then(async () => {
          if (opts.interactive) write(`… checking`);
          print(await opts.bot.handle(text, who));
        })
        .catch((err: unknown) => {
          // A bug, not user input: say so plainly and keep the prompt alive.
          write(`⚠️ Something went wrong inside isdown: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(prompt);
    });
    rl.on('close', () => {
      void queue.then(() => resolve({ lines }));
    });
  });
  if (opts.interactive) {
    write('isdown console — type a service or URL (e.g. "github" or "example.com"), "help", or "exit".');
    prompt();
  }
  return { done, print };
}
