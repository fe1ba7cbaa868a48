/**
 * A minimal pcapng writer (IETF draft-ietf-opsawg-pcapng): one Section Header Block, one Interface Description
 * Block per link type, one Enhanced Packet Block per packet, all little-endian. Only what the export needs:
 * nanosecond timestamps (`if_tsresol` 9) and a comment per packet.
 */

export const LINKTYPE_ETHERNET = 1;
/** Raw IPv4 or IPv6, told apart by the version nibble (what the L3 view of an skb holds). */
export const LINKTYPE_RAW = 101;

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

export interface PcapngInterface {
  linkType: number;
  snaplen: number;
  name?: string;
}

export interface PcapngPacket {
  /** Index into the interfaces given to the writer. */
  interface: number;
  /** Wall time in ns since the Unix epoch. */
  timestampNs: bigint;
  data: Buffer;
  /** Length on the wire (≥ data.length). */
  originalLength: number;
  comment?: string;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Options: code, length, value padded to 32 bits; then opt_endofopt. None at all: no end marker either. */
function options(opts: readonly [number, Buffer][]): Buffer {
  if (!opts.length) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of opts) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(code, 0);
    h.writeUInt16LE(value.length, 2);
    parts.push(h, value, Buffer.alloc(pad4(value.length) - value.length));
  }
  const end = Buffer.alloc(4);
  end.writeUInt16LE(OPT_END, 0); // opt_endofopt: code 0, length 0
  parts.push(end);
  return Buffer.concat(parts);
}

/** type · total length · body · total length (the trailing copy lets readers walk backwards). */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length; // body is already a multiple of 4
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(total, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(total, 0);
  return Buffer.concat([head, body, tail]);
}

export function encodePcapng(
  interfaces: readonly PcapngInterface[],
  packets: readonly PcapngPacket[],
  application = 'pktpath',
): Buffer {
  const out: Buffer[] = [];
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  shb.writeUInt16LE(1, 4); // major
  shb.writeUInt16LE(0, 6); // minor
  shb.writeBigInt64LE(-1n, 8); // section length: not given
  out.push(block(SHB, Buffer.concat([shb, options([[SHB_USERAPPL, Buffer.from(application, 'utf8')]])])));
  for (const i of interfaces) {
    const idb = Buffer.alloc(8);
    idb.writeUInt16LE(i.linkType, 0);
    idb.writeUInt32LE(i.snaplen, 4);
    const opts: [number, Buffer][] = [[IF_TSRESOL, Buffer.from([9])]]; // 10^-9 s: kernel ns as they are
    if (i.name) opts.unshift([IF_NAME, Buffer.from(i.name, 'utf8')]);
    out.push(block(IDB, Buffer.concat([idb, options(opts)])));
  }
  for (const p of packets) {
    if (p.interface < 0 || p.interface >= interfaces.length)
      throw new RangeError(`packet names interface ${p.interface} of ${interfaces.length}`);
    const h = Buffer.alloc(20);
    h.writeUInt32LE(p.interface, 0);
    h.writeUInt32LE(Number(p.timestampNs >> 32n) >>> 0, 4);
    h.writeUInt32LE(Number(p.timestampNs & 0xffffffffn) >>> 0, 8);
    h.writeUInt32LE(p.data.length, 12);
    h.writeUInt32LE(Math.max(p.originalLength, p.data.length), 16);
    const padded = Buffer.alloc(pad4(p.data.length));
    p.data.copy(padded);
    const opts = options(p.comment ? [[OPT_COMMENT, Buffer.from(p.comment, 'utf8')]] : []);
    out.push(block(EPB, Buffer.concat([h, padded, opts])));
  }
  return Buffer.concat(out);
}
