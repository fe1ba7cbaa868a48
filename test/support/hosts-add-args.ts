/** `pktpath hosts add` arguments for a lab sshd reached with the lab's key: what every CLI lab test types to put a
 *  host in its inventory (root by key unless `as` says otherwise). */
export function hostsAddArgs(
  name: string,
  at: { address: string; port: number },
  privateKey: string,
  as: { user: string; privilege: string } = { user: 'root', privilege: 'root' },
): string[] {
  return [
    'hosts',
    'add',
    name,
    '--address',
    at.address,
    '--port',
    String(at.port),
    '--user',
    as.user,
    '--identity',
    privateKey,
    '--privilege',
    as.privilege,
  ];
}
