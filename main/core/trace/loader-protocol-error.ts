import { CoreError } from '../errors.js';

/** The loader's stream broke the protocol or a client-side limit (docs/LOADER.md): the loader is killed. */
export class LoaderProtocolError extends CoreError {
  constructor(message: string) {
    super('loader-protocol', message);
  }
}
