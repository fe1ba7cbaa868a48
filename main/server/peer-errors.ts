import { basename } from 'node:path';
import type { ResponseEnvelope } from '../api/handler.js';

/** An absolute path in a message: after the start, a blank, a quote or a bracket. */
const ABSOLUTE_PATH = /(?<=^|[\s'"`(=[])\/[^\s'"`():,;\]]*/g;

/**
 * What a browser-mode peer gets back. An `internal` error is not one of the core's own messages but an unexpected
 * failure (a raw file-system error, say): the operator's terminal gets it whole, the peer gets it with every
 * absolute path of this machine cut to its last component.
 */
export function replyForPeer(reply: ResponseEnvelope, onError: (message: string) => void): ResponseEnvelope {
  if (reply.ok || reply.error.code !== 'internal') return reply;
  onError(`browser mode: internal error: ${reply.error.message}`);
  const message = reply.error.message.replace(ABSOLUTE_PATH, (p) => `…/${basename(p)}`);
  return { ...reply, error: { ...reply.error, message } };
}
