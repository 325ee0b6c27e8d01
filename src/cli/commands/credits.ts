import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { apiCommand, context, orgOf, orgOption } from '../common.js';

interface Balance {
  total_credits: number;
  credits_used: number;
  credits_left: number;
}

function amount(value: string): number {
  if (!/^\d+(\.\d{1,6})?$/.test(value) || !(Number(value) > 0)) throw new InvalidArgumentError('must be a positive number with at most 6 decimals.');
  return Number(value);
}

export function registerCreditCommands(program: Command): void {
  const credits = program.command('credits').description("Your organization's credits");

  apiCommand(credits, 'balance', 'Credits granted, used and left')
    .option('--org <org>', 'organization id or slug (default: the organization of your key)')
    .action(async (options: { org?: string }, command: Command) => {
      const ctx = context(command);
      const balance = await ctx.api().get<Balance>('/credits/balance', { organization: options.org });
      ctx.out.record({ total: balance.total_credits, used: balance.credits_used, left: balance.credits_left }, undefined, balance);
    });

  orgOption(apiCommand(credits, 'debit', 'Spend credits (admin or owner); the same --idempotency-key never debits twice'))
    .argument('<amount>', 'credits, up to 6 decimals', amount)
    .requiredOption('--reason <text>', 'why (kept in the ledger)')
    .option('--idempotency-key <key>', 'retry-safe key (default: a new random one, printed)')
    .action(async (value: number, options: { org?: string; reason: string; idempotencyKey?: string }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const org = await orgOf(api, options.org);
      const idempotencyKey = options.idempotencyKey ?? randomUUID();
      const reply = await api.call<{ data: { id: string; amount: number; balance: Balance } }>('POST', `/organizations/${org}/credits/debits`, {
        body: { amount: value, reason: options.reason, idempotency_key: idempotencyKey },
      });
      const { data } = reply.body;
      const replayed = reply.headers.get('idempotent-replayed') === 'true';
      ctx.out.done(
        `${replayed ? 'Already debited' : 'Debited'} ${data.amount} credits (${data.id}, idempotency key ${idempotencyKey}); ${data.balance.credits_left} left.`,
        data,
      );
    });
}
