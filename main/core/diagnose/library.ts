import type { DiagnosisRule } from './rule.js';
import { DEVICE_RULES } from './rules/device.js';
import { FALLBACK_RULES } from './rules/fallback.js';
import { HEALTHY_RULES } from './rules/healthy.js';
import { IP_RULES } from './rules/ip.js';
import { NETFILTER_RULES } from './rules/netfilter.js';
import { ROUTING_RULES } from './rules/routing.js';
import { SOCKET_RULES } from './rules/socket.js';

/**
 * The rule library, in the order rules are tried: the specific before the general, the fallbacks last (every
 * verdict gets a diagnosis with advice). docs/CLI.md ("Explain") lists them.
 */
export const RULES: readonly DiagnosisRule[] = [
  ...NETFILTER_RULES,
  ...ROUTING_RULES,
  ...IP_RULES,
  ...SOCKET_RULES,
  ...DEVICE_RULES,
  ...HEALTHY_RULES,
  ...FALLBACK_RULES,
];
