import { blackholeRoute } from './blackhole-route.js';
import { ctInvalid } from './ct-invalid.js';
import { forwarded } from './forwarded.js';
import { forwardingDisabled } from './forwarding-disabled.js';
import { fragNeeded } from './frag-needed.js';
import { iptablesDrop } from './iptables-drop.js';
import { linkDown } from './link-down.js';
import { martianSource } from './martian-source.js';
import { neighFailed } from './neigh-failed.js';
import { netemLoss } from './netem-loss.js';
import { nftDrop } from './nft-drop.js';
import { nftReject } from './nft-reject.js';
import { noRoute } from './no-route.js';
import { pingDelivered } from './ping-delivered.js';
import { scopedPing } from './scoped-ping.js';
import { prohibitRoute } from './prohibit-route.js';
import { rpFilter } from './rp-filter.js';
import type { Scenario } from './scenario.js';
import { tcDrop } from './tc-drop.js';
import { tcpClosedPort } from './tcp-closed-port.js';
import { tcpDelivered } from './tcp-delivered.js';
import { ttlExceeded } from './ttl-exceeded.js';
import { udpClosedPort } from './udp-closed-port.js';
import { udpRcvbuf } from './udp-rcvbuf.js';

/** Every diagnosis scenario by name (the fixture file name of its recorded trace). */
export const SCENARIOS: Record<string, Scenario> = {
  'nft-drop': nftDrop,
  'nft-reject': nftReject,
  'iptables-drop': iptablesDrop,
  'ct-invalid': ctInvalid,
  'blackhole-route': blackholeRoute,
  'prohibit-route': prohibitRoute,
  'no-route': noRoute,
  'forwarding-disabled': forwardingDisabled,
  'rp-filter': rpFilter,
  'ttl-exceeded': ttlExceeded,
  'frag-needed': fragNeeded,
  'neigh-failed': neighFailed,
  'tcp-closed-port': tcpClosedPort,
  'udp-closed-port': udpClosedPort,
  'udp-rcvbuf': udpRcvbuf,
  'netem-loss': netemLoss,
  'tc-drop': tcDrop,
  'link-down': linkDown,
  'martian-source': martianSource,
  'ping-delivered': pingDelivered,
  'scoped-ping': scopedPing,
  'tcp-delivered': tcpDelivered,
  forwarded,
};
