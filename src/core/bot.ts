import { runCheck, type CheckPolicy, type CheckPorts } from './check.ts';
import { parseCommand, USAGE, type Command } from './commands.ts';
import { checkMessage, errorMessage, helpMessage, infoMessage, type Message } from './messages.ts';
import { formatDuration } from './duration.ts';
import type { CrowdSummary, Resolution } from './types.ts';

/** Who asked, in platform-neutral terms. A tenant is a Slack workspace or a Discord guild. */
export interface Requester {
  readonly tenant: string;
  readonly channel: string;
  readonly user: string;
}

/** Where "it is down for me" reports go; absent when no store is configured. */
export interface CrowdPort {
  add(serviceId: string, tenant: string, user: string, at: number): Promise<{ accepted: true } | { accepted: false; retryInMs: number }>;
  summary(serviceId: string, now: number): Promise<CrowdSummary>;
}

export interface BotDeps {
  /** Turns what the user typed into a target, or says why not. */
  resolve(input: string): Resolution;
  readonly check: CheckPorts;
  readonly policy: CheckPolicy;
  readonly crowd?: CrowdPort;
  readonly now: () => number;
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

  async function report(input: string, who: Requester): Promise<Message> {
    const resolved = deps.resolve(input);
    if (!resolved.ok) return errorMessage(resolved.message);
    if (!deps.crowd) return errorMessage('Reports need a store, and this isdown runs without one.');
    const { target } = resolved;
    const at = deps.now();
    const added = await deps.crowd.add(target.id, who.tenant, who.user, at);
    const summary = await deps.crowd.summary(target.id, at);
    const tally = `${summary.reports} ${summary.reports === 1 ? 'report' : 'reports'} from ${summary.teams} ${summary.teams === 1 ? 'team' : 'teams'} in the last ${formatDuration(summary.windowMs)}.`;
    if (!added.accepted) {
      return infoMessage(`You already reported ${target.name}; you can report it again in ${formatDuration(added.retryInMs)}.`, [tally]);
    }
    return infoMessage(`Thanks — noted that ${target.name} is down for you.`, [tally, `Other teams asking about ${target.name} will see it. Check it yourself: /isdown ${target.id}`], 'channel');
  }

  async function run(command: Command, who: Requester): Promise<Message> {
    switch (command.kind) {
      case 'help':
        return helpMessage(command.topic);
      case 'check':
        return check(command.target);
      case 'report':
        return report(command.target, who);
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
