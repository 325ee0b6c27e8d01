import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

/** Fastify's `https` option when TLS_CERT_FILE and TLS_KEY_FILE are set (PEM files, read at start-up). */
export function httpsOptions(config: Config): { https: { cert: Buffer; key: Buffer } } | Record<string, never> {
  if (!config.tlsCertFile || !config.tlsKeyFile) return {};
  return { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) } };
}

/** One year, subdomains included: the product is served over HTTPS only. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Under an https PUBLIC_URL every answer tells browsers to use HTTPS only from now on (whether this
 * process terminates TLS itself or a balancer does it in front of it).
 */
export function registerHsts(app: FastifyInstance, config: Config): void {
  if (!config.publicUrl.startsWith('https:')) return;
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('strict-transport-security', HSTS);
    done(null, payload);
  });
}
