import { isMethodName } from '../../../main/api/contract';
import type { PageApi } from '../../../main/transport/page-api';
import type { Transport } from './transport';

/** The desktop app: every call goes through the preload's named function for that method. */
export function createElectronTransport(bridge: PageApi): Transport {
  return {
    kind: 'electron',
    send(envelope) {
      if (!isMethodName(envelope.method))
        return Promise.reject(new Error(`unknown method ${envelope.method}`));
      return bridge.methods[envelope.method](envelope.request);
    },
    onEvents: (listener) => bridge.onEvents(listener),
    onStatus(listener) {
      listener({ state: 'open' });
      return () => undefined;
    },
  };
}
