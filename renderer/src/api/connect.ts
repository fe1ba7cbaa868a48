import type { PageApi } from '../../../main/transport/page-api';
import { ApiClient } from './client';
import { createElectronTransport } from './electron-transport';
import { createWsTransport } from './ws-transport';

declare global {
  interface Window {
    pktpath?: PageApi;
  }
}

/** Picks the transport: Electron's preload bridge if present, else browser mode with the token of the URL. */
export function connectToCore(): ApiClient | { error: string } {
  if (window.pktpath) return new ApiClient(createElectronTransport(window.pktpath));
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token)
    return { error: 'This page needs the token from the URL that `pktpath serve` (or npm start) printed.' };
  return new ApiClient(createWsTransport(token));
}
