import { runCheck, type CheckPolicy, type CheckPorts } from './check.ts';
import { parseCommand, USAGE, type Command } from './commands.ts';
import { checkMessage, errorMessage, helpMessage, infoMessage, type Message } from './messages.ts';
import type { Resolution } from './types.ts';

/** Who asked, in platform-neutral terms. A tenant is a Slack workspace or a Discord guild. */
export interface Requester {
  readonly tenant: string;
  readonly channel: string;
  readonly user: string;
}

export interface BotDeps {
  /** Turns what the user typed into a target, or says why not. */
  resolve(input: string): Resolution;
  readonly check: CheckPorts;
  readonly policy: CheckPolicy;
}

export interface Bot {
  /** Handles the text after "/isdown". Never throws for anything a user can type. */
  handle(text: string, who: Requester): Promise<Message>;
  run(command: Command, who: Requester): Promise<Message>;
}

export function createBot(deps: BotDeps): Bot {
  async function check(input: string): Promise<Message> {
    const resolved = deps.resolve(input);
    if (!resolved.ok) return errorMessage(resolved.message);
    const outcome = await runCheck(resolved.target, {}, deps.check, deps.policy);
    return checkMessage(outcome);
  }

  async function run(command: Command, _who: Requester): Promise<Message> {
    switch (command.kind) {
      case 'help':
        return helpMessage(command.topic);
      case 'check':
        return check(command.target);
      default:
        return infoMessage(`"${command.kind}" is coming soon.`, [`It will work like this: ${USAGE[command.kind]}`, `For now: ${USAGE.check}`]);
    }
  }

  return {
    run,
    async handle(text, who) {
      const parsed = parseCommand(text);
      if (!parsed.ok) return errorMessage(parsed.error, parsed.usage);
      return run(parsed.command, who);
    },
  };
}
