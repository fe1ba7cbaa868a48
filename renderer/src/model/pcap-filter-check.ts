/**
 * A syntax check of pcap-filter expressions (tcpdump's language) that runs on every keystroke. The host's libpcap
 * compiles the filter for real when the trace starts; this catches what a person mistypes — unbalanced
 * parentheses, a dangling `and`, `port 99999`, `10.0.0.256`, a misspelt keyword — with the column to look at.
 * It accepts the grammar of pcap-filter(7): qualifiers (proto / dir / type), and/or/not, `less`/`greater`,
 * byte-offset relations (`tcp[tcpflags] & tcp-syn != 0`), `vlan`, `mpls`, `net X mask Y`.
 */

export interface FilterProblem {
  column: number;
  message: string;
}

interface Token {
  text: string;
  column: number;
}

const PROTOS = new Set([
  'ether',
  'fddi',
  'tr',
  'wlan',
  'ip',
  'ip6',
  'arp',
  'rarp',
  'decnet',
  'lat',
  'sca',
  'moprc',
  'mopdl',
  'tcp',
  'udp',
  'sctp',
  'icmp',
  'icmp6',
  'igmp',
  'igrp',
  'pim',
  'ah',
  'esp',
  'vrrp',
  'carp',
  'link',
  'ppp',
  'slip',
  'radio',
  'iso',
  'stp',
  'ipx',
  'netbeui',
  'atalk',
  'aarp',
  'clnp',
  'esis',
  'isis',
]);
const DIRS = new Set(['src', 'dst', 'inbound', 'outbound', 'ra', 'ta', 'addr1', 'addr2', 'addr3', 'addr4']);
const TYPES = new Set(['host', 'net', 'port', 'portrange', 'gateway', 'proto', 'protochain']);
const STANDALONE = new Set([
  'broadcast',
  'multicast',
  'vlan',
  'mpls',
  'pppoed',
  'pppoes',
  'geneve',
  'less',
  'greater',
  'len',
  'ifname',
  'on',
  'rnr',
  'rulenum',
  'reason',
  'rset',
  'srnr',
  'subrulenum',
  'action',
]);
const NAMED_CONSTS =
  /^(tcp-(fin|syn|rst|push|ack|urg|ece|cwr)|tcpflags|icmptype|icmpcode|icmp6type|icmp6code|icmp-[a-z]+|icmp6-[a-z]+)$/;
const RELOPS = new Set(['=', '==', '!=', '<', '>', '<=', '>=']);
const ARITH = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);

function tokenize(src: string): Token[] | FilterProblem {
  const out: Token[] = [];
  // Words first so IPv6 addresses keep their colons; inside [...] a colon is the field-size separator instead.
  const outside = /\s+|([A-Za-z0-9_.:\\/-]+)|(&&|\|\||<<|>>|<=|>=|==|!=|[()[\]!<>=+*/%&|^:-])/y;
  const inside = /\s+|([A-Za-z0-9_.\\/-]+)|(&&|\|\||<<|>>|<=|>=|==|!=|[()[\]!<>=+*/%&|^:-])/y;
  let depth = 0;
  let i = 0;
  while (i < src.length) {
    const re = depth > 0 ? inside : outside;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) return { column: i + 1, message: `unexpected character "${src[i]}"` };
    const text = m[1] ?? m[2];
    if (text === '[') depth++;
    if (text === ']') depth = Math.max(0, depth - 1);
    if (text) out.push({ text, column: i + 1 });
    i = re.lastIndex;
  }
  return out;
}

const isNumber = (s: string) => /^(0x[0-9a-fA-F]+|\d+)$/.test(s);
const IPV4 = /^\d+(\.\d+){0,3}$/;
const looksIpv6 = (s: string) => s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);

function checkIpv4(s: string): string | undefined {
  const parts = s.split('.');
  if (parts.some((p) => Number(p) > 255)) return `${s} is not an IPv4 address (each part is 0-255)`;
  return undefined;
}

class Parser {
  private i = 0;
  /** pcap lets `host a or b` and `port 80 or 443` inherit the previous qualifier. */
  private lastType: string | undefined;

  constructor(
    private readonly toks: Token[],
    private readonly end: number,
  ) {}

  private peek(o = 0): Token | undefined {
    return this.toks[this.i + o];
  }
  private next(): Token | undefined {
    return this.toks[this.i++];
  }
  private fail(t: Token | undefined, message: string): never {
    throw { column: t?.column ?? this.end, message } satisfies FilterProblem;
  }

  parse(): void {
    if (!this.toks.length) return;
    this.orExpr();
    const t = this.peek();
    if (t) this.fail(t, t.text === ')' ? 'unbalanced ")"' : `expected "and" or "or" before "${t.text}"`);
  }

  private orExpr(): void {
    this.andExpr();
    while (this.peek()?.text === 'or' || this.peek()?.text === '||') {
      const op = this.next();
      if (!this.peek()) this.fail(op, `"${op?.text}" needs an expression after it`);
      this.andExpr();
    }
  }

  private andExpr(): void {
    this.unary();
    while (this.peek()?.text === 'and' || this.peek()?.text === '&&') {
      const op = this.next();
      if (!this.peek()) this.fail(op, `"${op?.text}" needs an expression after it`);
      this.unary();
    }
  }

  private unary(): void {
    const t = this.peek();
    if (!t) this.fail(t, 'expression ends too early');
    if (t.text === 'not' || t.text === '!') {
      this.next();
      if (!this.peek()) this.fail(t, `"${t.text}" needs an expression after it`);
      return this.unary();
    }
    if (t.text === '(') {
      this.next();
      this.orExpr();
      const close = this.next();
      if (close?.text !== ')')
        this.fail(close ?? t, close ? `expected ")" but found "${close.text}"` : 'missing ")"');
      return;
    }
    if (this.startsRelation()) return this.relation();
    this.primitive();
  }

  private startsRelation(): boolean {
    const t = this.peek();
    const n = this.peek(1);
    if (!t) return false;
    if (PROTOS.has(t.text) && n?.text === '[') return true;
    if (t.text === 'len' && n && (RELOPS.has(n.text) || ARITH.has(n.text))) return true;
    return isNumber(t.text) && !!n && (RELOPS.has(n.text) || ARITH.has(n.text));
  }

  private relation(): void {
    this.arith();
    const op = this.next();
    if (!op || !RELOPS.has(op.text)) this.fail(op, 'expected a comparison (=, !=, <, >, <=, >=)');
    this.arith();
  }

  private arith(): void {
    this.arithOperand();
    while (ARITH.has(this.peek()?.text ?? '')) {
      this.next();
      this.arithOperand();
    }
  }

  private arithOperand(): void {
    const t = this.next();
    if (!t) this.fail(t, 'expected a number or a packet field');
    if (t.text === '(') {
      this.arith();
      if (this.next()?.text !== ')') this.fail(t, 'missing ")"');
      return;
    }
    if (isNumber(t.text) || NAMED_CONSTS.test(t.text) || t.text === 'len') return;
    if (PROTOS.has(t.text) && this.peek()?.text === '[') {
      this.next();
      this.arith();
      if (this.peek()?.text === ':') {
        this.next();
        const size = this.next();
        if (!size || !['1', '2', '4'].includes(size.text))
          this.fail(size, 'field size after ":" is 1, 2 or 4');
      }
      const close = this.next();
      if (close?.text !== ']') this.fail(close ?? t, 'missing "]"');
      return;
    }
    this.fail(t, `"${t.text}" is not a number or a packet field`);
  }

  private primitive(): void {
    let t = this.next();
    if (!t) this.fail(t, 'expression ends too early');
    let sawQualifier = false;
    if (STANDALONE.has(t.text)) return this.standalone(t);
    if (PROTOS.has(t.text)) {
      sawQualifier = true;
      const n = this.peek();
      if (!n || !this.continuesQualifiers(n.text)) return;
      if (n.text === 'broadcast' || n.text === 'multicast') return void this.next();
      t = this.next() ?? this.fail(undefined, 'expression ends too early');
    }
    if (DIRS.has(t.text)) {
      sawQualifier = true;
      if (
        (this.peek()?.text === 'or' || this.peek()?.text === 'and') &&
        ['src', 'dst'].includes(this.peek(1)?.text ?? '')
      ) {
        this.next();
        this.next();
      }
      const n = this.peek();
      if (!n) this.fail(t, `"${t.text}" needs host, net, port or an address after it`);
      if (TYPES.has(n.text)) t = this.next() ?? t;
      else return this.id(undefined);
    }
    if (TYPES.has(t.text)) {
      this.lastType = t.text;
      return this.id(t.text);
    }
    if (sawQualifier) this.fail(t, `unexpected "${t.text}"`);
    // A bare id: an address, or a value that inherits the previous qualifier (`port 80 or 443`).
    this.i--;
    if (this.lastType || IPV4.test(t.text) || looksIpv6(t.text)) return this.id(this.lastType ?? 'host');
    this.fail(t, `unknown keyword "${t.text}" (a host name needs "host ${t.text}")`);
  }

  private continuesQualifiers(s: string): boolean {
    return DIRS.has(s) || TYPES.has(s) || s === 'broadcast' || s === 'multicast';
  }

  private standalone(t: Token): void {
    if (t.text === 'less' || t.text === 'greater') {
      const n = this.next();
      if (!n || !isNumber(n.text)) this.fail(n ?? t, `"${t.text}" needs a length in bytes`);
      return;
    }
    if (t.text === 'vlan' || t.text === 'mpls' || t.text === 'geneve') {
      if (isNumber(this.peek()?.text ?? '')) this.next();
      return;
    }
    if (t.text === 'len') this.fail(t, '"len" needs a comparison, e.g. "len > 100"');
    if (
      ['ifname', 'on', 'reason', 'action', 'rnr', 'rulenum', 'srnr', 'subrulenum', 'rset'].includes(t.text)
    ) {
      if (!this.next()) this.fail(t, `"${t.text}" needs a value`);
    }
  }

  private id(type: string | undefined): void {
    const t = this.next();
    if (!t || ['and', 'or', '&&', '||', ')', 'not'].includes(t.text))
      this.fail(t, `${type ?? 'this qualifier'} needs a value`);
    const v = t.text;
    if (type === 'port') {
      if (isNumber(v) && Number(v) > 65535) this.fail(t, `port ${v} is out of range (0-65535)`);
      return;
    }
    if (type === 'portrange') {
      const m = /^(\d+)-(\d+)$/.exec(v);
      if (!m) this.fail(t, `portrange takes LOW-HIGH, not "${v}"`);
      if (Number(m[1]) > 65535 || Number(m[2]) > 65535) this.fail(t, 'port numbers are 0-65535');
      return;
    }
    if (type === 'proto' || type === 'protochain') return;
    if (type === 'net') {
      const [addr, len] = v.split('/');
      if (addr && IPV4.test(addr)) {
        const bad = checkIpv4(addr);
        if (bad) this.fail(t, bad);
      }
      if (len !== undefined && (!/^\d+$/.test(len) || Number(len) > (addr?.includes(':') ? 128 : 32)))
        this.fail(t, `/${len} is not a prefix length`);
      if (this.peek()?.text === 'mask') {
        this.next();
        const mask = this.next();
        if (!mask || !IPV4.test(mask.text)) this.fail(mask ?? t, 'mask needs a dotted IPv4 mask');
      }
      return;
    }
    if (IPV4.test(v)) {
      if (v.split('.').length !== 4 && type === 'host') this.fail(t, `${v} is not a full IPv4 address`);
      const bad = checkIpv4(v);
      if (bad) this.fail(t, bad);
    }
  }
}

/** The first problem in `filter`, or undefined when it parses. An empty filter matches every packet. */
export function checkPcapFilter(filter: string): FilterProblem | undefined {
  const toks = tokenize(filter);
  if (!Array.isArray(toks)) return toks;
  try {
    new Parser(toks, filter.length + 1).parse();
    return undefined;
  } catch (e) {
    if (e && typeof e === 'object' && 'column' in e) return e as FilterProblem;
    throw e;
  }
}
