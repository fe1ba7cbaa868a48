import { CoreError } from '../errors.js';

/** Distinct SSH failures: each has its own class and API code so the faces can say exactly what went wrong. */

export class SshAuthError extends CoreError {
  constructor(target: string, detail: string) {
    super('auth-failed', `authentication to ${target} failed: ${detail}`, { target });
  }
}

export class SshUnreachableError extends CoreError {
  constructor(target: string, detail: string, options?: { cause?: unknown }) {
    super('unreachable', `${target} is unreachable: ${detail}`, { target }, options);
  }
}

export class SshTimeoutError extends CoreError {
  constructor(target: string, timeoutMs: number, stage: string) {
    super('timeout', `${target} did not answer within ${timeoutMs} ms (${stage})`, {
      target,
      timeoutMs,
      stage,
    });
  }
}

/** The host presented a key other than the one on record: a possible man in the middle. Never overridden. */
export class HostKeyMismatchError extends CoreError {
  constructor(
    readonly hostPattern: string,
    readonly keyType: string,
    readonly knownFingerprints: readonly string[],
    readonly presentedFingerprint: string,
    readonly knownAt: readonly string[],
  ) {
    super(
      'host-key-mismatch',
      `host key for ${hostPattern} has CHANGED: known ${knownFingerprints.join(', ')} (${knownAt.join(', ')}), ` +
        `presented ${keyType} ${presentedFingerprint}; refusing to connect`,
      {
        hostPattern,
        keyType,
        knownFingerprints: [...knownFingerprints],
        presentedFingerprint,
        knownAt: [...knownAt],
      },
    );
  }
}

export class HostKeyRevokedError extends CoreError {
  constructor(hostPattern: string, fingerprint: string, at: string) {
    super(
      'host-key-revoked',
      `host key ${fingerprint} of ${hostPattern} is marked @revoked (${at}); refusing to connect`,
      {
        hostPattern,
        fingerprint,
      },
    );
  }
}

export class HostKeyRejectedError extends CoreError {
  constructor(hostPattern: string, fingerprint: string) {
    super('host-key-rejected', `host key ${fingerprint} of ${hostPattern} is unknown and was not accepted`, {
      hostPattern,
      fingerprint,
    });
  }
}

/** The privilege method (sudo, doas, root) did not yield root. */
export class PrivilegeError extends CoreError {
  constructor(target: string, detail: string) {
    super('privilege-failed', `could not become root on ${target}: ${detail}`, { target });
  }
}

export class RemoteCommandError extends CoreError {
  constructor(
    target: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const last = stderr.trim().split('\n').pop() ?? '';
    super(
      'remote-command-failed',
      `${command.split(' ')[0] ?? command} on ${target} exited ${exitCode ?? 'by signal'}${last ? `: ${last}` : ''}`,
      {
        target,
        exitCode,
      },
    );
  }
}
