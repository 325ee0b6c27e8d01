import { hashSync, verifySync } from '@node-rs/argon2';

/** One password hash or check, run in a worker thread of the password pool (see password-hashing.ts). */
export type PasswordTask = { op: 'hash'; password: string; options: Parameters<typeof hashSync>[1] } | { op: 'verify'; stored: string; password: string };

export default function run(task: PasswordTask): string | boolean {
  if (task.op === 'hash') return hashSync(task.password, task.options);
  try {
    return verifySync(task.stored, task.password);
  } catch {
    return false; // a malformed stored hash counts as a mismatch, never as an error
  }
}
