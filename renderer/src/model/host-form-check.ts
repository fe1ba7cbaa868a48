import { HostSchema, LOCAL_HOST_NAME, type Host, type HostInput } from '../../../main/api/hosts.js';

/** The Add/Edit host form's typed fields that can be wrong. */
export type HostFormField = 'name' | 'address' | 'port' | 'identity' | 'jump' | 'tags';
export type HostFormErrors = Partial<Record<HostFormField, string>>;

/** Where the contract's issue paths are typed in the form (`auth.identityFiles` is the key files field). */
const FIELD_OF: Record<string, HostFormField> = {
  name: 'name',
  address: 'address',
  port: 'port',
  auth: 'identity',
  jump: 'jump',
  tags: 'tags',
};

/** Words for the schema's generic complaints ("Too small", "Invalid input"); its own messages are kept. */
const WORDS: Partial<Record<HostFormField, string>> = {
  address: 'the address to reach it: a host name or IP address',
  port: 'a port is a whole number from 1 to 65535',
  identity: 'at least one private key file, e.g. ~/.ssh/id_ed25519 (several: comma-separated)',
  jump: 'jump hosts by their names in this inventory, first hop first',
  tags: 'tags are words separated by commas',
};

/**
 * What is wrong with the form, field by field, in words: the contract's HostSchema (the core checks the same), then
 * what only the inventory knows — a name already taken, jump hosts that do not exist or cannot be jumped through.
 */
export function hostFormErrors(
  input: HostInput,
  hosts: readonly Host[],
  editing: Host | undefined,
): HostFormErrors {
  const errors: HostFormErrors = {};
  const check = HostSchema.safeParse(input);
  for (const issue of check.success ? [] : check.error.issues) {
    const field = FIELD_OF[String(issue.path[0])];
    if (!field || errors[field]) continue;
    const own = issue.code === 'custom' || issue.code === 'invalid_format';
    errors[field] = own ? issue.message : (WORDS[field] ?? issue.message);
  }
  if (!editing && !errors.name && hosts.some((h) => h.name === input.name))
    errors.name = `a host named “${input.name}” exists already: pick another name, or edit that one`;
  const jump = errors.jump ? undefined : jumpProblem(input, hosts);
  if (jump) errors.jump = jump;
  return errors;
}

function jumpProblem(input: HostInput, hosts: readonly Host[]): string | undefined {
  for (const j of input.jump ?? []) {
    if (j === input.name) return 'a host cannot be its own jump host';
    if (j === LOCAL_HOST_NAME) return `“${LOCAL_HOST_NAME}” is this machine, not a host to jump through`;
    const h = hosts.find((x) => x.name === j);
    if (!h) return `no host named “${j}” in the inventory: add it first, then name it here`;
  }
  return undefined;
}
