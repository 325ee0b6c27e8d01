import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** Canonical form of one IP or CIDR (`10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7`), or null when it is neither. */
export function canonicalIpOrCidr(text: string): string | null {
  const value = text.trim();
  if (value.includes('%')) return null; // no IPv6 zone ids: they mean nothing to a server
  // Only the plain notations: ipaddr.js also accepts legacy IPv4 forms like `1.2.3` (= 1.2.0.3).
  const plain = (address: string) => ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  try {
    if (value.includes('/')) {
      if (!plain(value.slice(0, value.indexOf('/')))) return null;
      const [address, bits] = ipaddr.parseCIDR(value);
      // Store the network address, so `10.1.2.3/8` and `10.0.0.0/8` are the same entry.
      const network = address.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(value)
        : ipaddr.IPv6.networkAddressFromCIDR(value);
      return `${network.toString()}/${bits}`;
    }
    if (!plain(value)) return null;
    return ipaddr.process(value).toString();
  } catch {
    return null;
  }
}

/** `allowed_ips` as the API takes it: up to 100 IPs/CIDRs (deduplicated, canonical), or null for "any address". */
export const AllowedIpsSchema = z
  .array(z.string().max(64))
  .max(100)
  .nullable()
  .transform((list, ctx) => {
    if (list === null) return null;
    const out: string[] = [];
    list.forEach((entry, index) => {
      const canonical = canonicalIpOrCidr(entry);
      if (canonical === null) ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR`, path: [index] });
      else if (!out.includes(canonical)) out.push(canonical);
    });
    return out;
  })
  .meta({ example: ['203.0.113.0/24', '2001:db8::1'] });

export function parseStoredIps(stored: string | null): string[] | null {
  return stored === null ? null : (JSON.parse(stored) as string[]);
}
