import { MAX_TRANSFER_BYTES, tooLargeMessage } from '../../../main/api/transfer';
import type { FileKind, TransferFile } from '../../../main/transport/page-api';
import { ApiCallError } from './client';

/**
 * Files in and out of the window, never by path: browser mode downloads (Blob + anchor) and uploads
 * (<input type=file>); the desktop app asks main for its native dialogs. Contents are base64, as the contract
 * carries them (main/api/transfer.ts).
 */

const ACCEPT: Record<FileKind, string> = { session: '.pktpath,.json', 'ssh-config': '' };

/** Offers the bytes to the user to keep; false if they cancelled the desktop app's save dialog. */
export async function saveFile(file: TransferFile, mediaType: string): Promise<boolean> {
  if (window.pktpath) {
    const r = await window.pktpath.saveFile(file);
    if (r.error) throw new ApiCallError(r.error.code, r.error.message);
    return r.saved;
  }
  const bytes = base64ToBytes(file.data);
  const url = URL.createObjectURL(new Blob([bytes.buffer as ArrayBuffer], { type: mediaType }));
  const a = Object.assign(document.createElement('a'), { href: url, download: file.name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // the download has its own copy by then
  return true;
}

/** Lets the user pick a file; its bytes and name, or undefined if they cancelled. */
export async function pickFile(kind: FileKind): Promise<TransferFile | undefined> {
  if (window.pktpath) {
    const r = await window.pktpath.openFile(kind);
    if (r.error) throw new ApiCallError(r.error.code, r.error.message);
    return r.file;
  }
  const file = await chooseFile(ACCEPT[kind]);
  if (!file) return undefined;
  // Refused here, before reading it: the core would refuse it too, after a 10 MiB upload.
  if (file.size > MAX_TRANSFER_BYTES) throw new ApiCallError('too-large', tooLargeMessage(file.name));
  return { name: file.name, data: bytesToBase64(new Uint8Array(await file.arrayBuffer())) };
}

export const textOf = (file: TransferFile): string => new TextDecoder().decode(base64ToBytes(file.data));

function chooseFile(accept: string): Promise<File | undefined> {
  const input = Object.assign(document.createElement('input'), { type: 'file', accept });
  return new Promise((resolve) => {
    input.addEventListener('change', () => resolve(input.files?.[0]));
    input.addEventListener('cancel', () => resolve(undefined));
    input.click();
  });
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  const CHUNK = 0x8000; // String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(bin);
}
