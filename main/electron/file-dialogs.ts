import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { ApiError } from '../api/errors.js';
import { FileLabelSchema, MAX_TRANSFER_BYTES, tooLargeMessage, TransferDataSchema } from '../api/transfer.js';
import { isTrustedSender } from './app-protocol.js';
import { CHANNELS, type FileKind, type PageApi } from '../transport/page-api.js';

type SaveResult = Awaited<ReturnType<PageApi['saveFile']>>;
type OpenResult = Awaited<ReturnType<PageApi['openFile']>>;

const SaveRequestSchema = z.strictObject({ name: FileLabelSchema, data: TransferDataSchema });
const FileKindSchema = z.enum(['session', 'ssh-config'] satisfies FileKind[]);

const OPEN: Record<FileKind, { title: string; folder: () => string; filters: Electron.FileFilter[] }> = {
  session: {
    title: 'Import a pktpath session',
    folder: () => app.getPath('downloads'),
    filters: [
      { name: 'pktpath sessions', extensions: ['pktpath', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  },
  'ssh-config': {
    title: 'Import hosts from an ssh_config file',
    folder: () => join(app.getPath('home'), '.ssh'),
    filters: [{ name: 'All files', extensions: ['*'] }],
  },
};

/**
 * The desktop app's file dialogs, in main: the page asks to save bytes under a suggested name, or to open a file,
 * and the user picks the path in a native dialog. The page never names a path, so a compromised page can neither
 * overwrite a file of its choosing nor read one the user did not pick.
 */
export function wireFileDialogs(): void {
  ipcMain.handle(CHANNELS.saveFile, (e, raw: unknown) => guarded(e, { saved: false }, () => save(e, raw)));
  ipcMain.handle(CHANNELS.openFile, (e, raw: unknown) => guarded(e, {}, () => open(e, raw)));
}

async function guarded<R extends { error?: ApiError }>(
  e: IpcMainInvokeEvent,
  failed: R,
  run: () => Promise<R>,
): Promise<R> {
  if (!isTrustedSender(e.senderFrame))
    return { ...failed, error: { code: 'invalid-request', message: 'untrusted sender' } };
  try {
    return await run();
  } catch (err) {
    const error: ApiError =
      err instanceof z.ZodError
        ? { code: 'invalid-request', message: z.prettifyError(err).replace(/\s*\n\s*/g, '; ') }
        : { code: 'internal', message: err instanceof Error ? err.message : String(err) };
    return { ...failed, error };
  }
}

async function save(e: IpcMainInvokeEvent, raw: unknown): Promise<SaveResult> {
  const { name, data } = SaveRequestSchema.parse(raw);
  const win = BrowserWindow.fromWebContents(e.sender);
  const options = { defaultPath: join(app.getPath('downloads'), basename(name)) };
  const r = await (win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options));
  if (r.canceled || !r.filePath) return { saved: false };
  await writeFile(r.filePath, Buffer.from(data, 'base64'));
  return { saved: true };
}

async function open(e: IpcMainInvokeEvent, raw: unknown): Promise<OpenResult> {
  const kind = OPEN[FileKindSchema.parse(raw)];
  const win = BrowserWindow.fromWebContents(e.sender);
  const options: Electron.OpenDialogOptions = {
    title: kind.title,
    defaultPath: kind.folder(),
    filters: kind.filters,
    properties: ['openFile', 'showHiddenFiles'],
  };
  const r = await (win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options));
  const path = r.filePaths[0];
  if (r.canceled || !path) return {};
  const { size } = await stat(path);
  if (size > MAX_TRANSFER_BYTES)
    return { error: { code: 'too-large', message: tooLargeMessage(basename(path)) } };
  return { file: { name: basename(path), data: (await readFile(path)).toString('base64') } };
}
