import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** Only the plain notations: ipaddr.js also takes legacy IPv4 forms such as `1.2.3` (= 1.2.0.3), and zone ids mean nothing here. */
function isPlainAddress(text: string): boolean {
  return !text.includes('%') && (ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text));
}

/** One IP address or CIDR block, v4 or v6, in its canonical form (`10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7`); null if it is neither. */
export function canonicalIpOrCidr(value: string): string | null {
  const text = value.trim();
  try {
    if (text.includes('/')) {
      if (!isPlainAddress(text.slice(0, text.indexOf('/')))) return null;
      const [address, bits] = ipaddr.parseCIDR(text);
      // Store the network address, so 10.1.2.3/8 and 10.0.0.0/8 are the same entry.
      const network = address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
      return `${network.toString()}/${bits}`;
    }
    return isPlainAddress(text) ? ipaddr.process(text).toString() : null;
  } catch {
    return null;
  }
}

const IpOrCidr = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const canonical = canonicalIpOrCidr(value);
    if (canonical !== null) return canonical;
    ctx.addIssue({ code: 'custom', message: `"${value.trim()}" is not an IP address or CIDR block` });
    return z.NEVER;
  });

/** `allowed_ips` on an organization or a key: null or [] means any address. */
export const AllowListSchema = z
  .array(IpOrCidr)
  .max(100, 'at most 100 entries')
  .transform((list) => [...new Set(list)])
  .nullable()
  .meta({ example: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'] });

export type AllowList = (ip: string) => boolean;

const allowAll: AllowList = () => true;

/** A matcher for a stored allow-list (JSON text or null). IPv4-mapped IPv6 peers match IPv4 entries. */
export function compileAllowList(stored: string | null): AllowList {
  const entries = stored ? (JSON.parse(stored) as string[]) : [];
  if (entries.length === 0) return allowAll;
  const ranges = entries.map((entry) => (entry.includes('/') ? ipaddr.parseCIDR(entry) : cidrOfOne(ipaddr.parse(entry))));
  return (ip) => {
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      address = ipaddr.process(ip); // unwraps ::ffff:a.b.c.d
    } catch {
      return false;
    }
    return ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  };
}

function cidrOfOne(address: ipaddr.IPv4 | ipaddr.IPv6): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

export function storeAllowList(list: readonly string[] | null | undefined): string | null {
  return list && list.length > 0 ? JSON.stringify(list) : null;
}

export function readAllowList(stored: string | null): string[] {
  return stored ? (JSON.parse(stored) as string[]) : [];
}
