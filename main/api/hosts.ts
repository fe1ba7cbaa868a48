import { z } from 'zod';
import { ApiErrorSchema } from './errors.js';

/**
 * Hosts of the inventory. Secrets (passwords, key passphrases, sudo passwords) are never part of a host record:
 * the core asks for them through the `secret.prompt` event or a secret store, so the inventory file holds none.
 */

/** Host names double as CLI arguments and file-name-safe keys: no spaces, no slashes, no leading dash or dot. */
export const HostNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
    'a host name is 1-64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit',
  );
export type HostName = z.infer<typeof HostNameSchema>;

export const LOCAL_HOST_NAME = 'local';

export const HostAuthSchema = z.discriminatedUnion('kind', [
  /** ssh-agent; `socket` overrides $SSH_AUTH_SOCK. */
  z.object({ kind: z.literal('agent'), socket: z.string().min(1).optional() }),
  /** Private key files tried in order; a passphrase-protected key asks for its passphrase (secret prompt). */
  z.object({ kind: z.literal('key'), identityFiles: z.array(z.string().min(1)).min(1) }),
  z.object({ kind: z.literal('password') }),
  z.object({ kind: z.literal('keyboard-interactive') }),
]);
export type HostAuth = z.infer<typeof HostAuthSchema>;

/** How the loader gains root: already root, `sudo -n`, `sudo -S` fed the user's password, or `doas -n`. */
export const PrivilegeSchema = z.enum(['root', 'sudo', 'sudo-password', 'doas']);
export type Privilege = z.infer<typeof PrivilegeSchema>;

/**
 * A host name or IP address, never syntax: known_hosts and ssh(1) read `,` as a list, `*` `?` `!` as patterns,
 * `[host]:port` brackets, `|` as a hashed name, and whitespace as a field break (`x,*` would name every host).
 */
export const HostAddressSchema = z
  .string()
  .min(1)
  .refine(
    (a) => !/[\s\p{Cc},*?![\]|]/u.test(a) && !a.startsWith('-'),
    'an address is a host name or IP address: no spaces, commas, patterns (* ? !), brackets, "|" or leading "-"',
  );

/** A host's editable fields without their defaults: a patch must not bring defaults back (hosts.update). */
const hostFields = {
  address: HostAddressSchema,
  port: z.int().min(1).max(65535),
  /** Login user; unset means the local user name, as OpenSSH does. */
  user: z.string().min(1),
  auth: HostAuthSchema,
  /** Jump hosts by inventory name, first hop first (ProxyJump order). */
  jump: z.array(HostNameSchema),
  tags: z.array(z.string().min(1)),
  privilege: PrivilegeSchema,
  notes: z.string(),
  connectTimeoutMs: z.int().min(100).max(300_000),
  keepaliveIntervalMs: z.int().min(0).max(600_000),
};

export const HostSchema = z.object({
  name: HostNameSchema,
  /** `ssh` hosts are reached over SSH; the one built-in `local` host runs the loader on this machine. */
  kind: z.enum(['ssh', 'local']).default('ssh'),
  address: hostFields.address,
  port: hostFields.port.default(22),
  user: hostFields.user.optional(),
  auth: hostFields.auth.default({ kind: 'agent' }),
  jump: hostFields.jump.default([]),
  tags: hostFields.tags.default([]),
  privilege: hostFields.privilege.default('sudo'),
  notes: hostFields.notes.default(''),
  connectTimeoutMs: hostFields.connectTimeoutMs.optional(),
  keepaliveIntervalMs: hostFields.keepaliveIntervalMs.optional(),
});
/** A host as stored and returned (defaults applied). */
export type Host = z.infer<typeof HostSchema>;
/** A host as a caller may write it (defaults optional). */
export type HostInput = z.input<typeof HostSchema>;

/**
 * `hosts.update`'s patch: only the fields it names change (no defaults here, unlike `HostSchema.partial()`);
 * `null` unsets an optional field. Name and kind are not editable.
 */
export const HostPatchSchema = z
  .object({
    ...hostFields,
    user: hostFields.user.nullable(),
    connectTimeoutMs: hostFields.connectTimeoutMs.nullable(),
    keepaliveIntervalMs: hostFields.keepaliveIntervalMs.nullable(),
  })
  .partial();
export type HostPatch = z.infer<typeof HostPatchSchema>;

/** What a connection test learned. */
export const ConnectionTestSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().nonnegative(),
  user: z.string().optional(),
  kernelRelease: z.string().optional(),
  arch: z.string().optional(),
  /** Whether the host's privilege method actually yields uid 0. */
  privileged: z.boolean().optional(),
  error: ApiErrorSchema.optional(),
});
export type ConnectionTest = z.infer<typeof ConnectionTestSchema>;
