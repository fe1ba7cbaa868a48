# Sends hand-made IPv4 packets from a raw socket (IP_HDRINCL): what no ordinary tool sends.
#   raw_send.py tcp-synfin SRC DST DPORT   a TCP segment with SYN and FIN (conntrack: invalid)
#   raw_send.py icmp-echo  SRC DST         an ICMP echo request from any source (martian sources)
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ip_header(src, dst, proto, payload_len):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 1, 0, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))


kind, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "tcp-synfin":
    tcp = struct.pack("!HHIIBBHHH", 40000, int(sys.argv[4]), 1, 0, 5 << 4, 0x03, 1024, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    payload, proto = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:], 6
else:
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"pktpath"
    payload, proto = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:], 1
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(2):
    s.sendto(ip_header(src, dst, proto, len(payload)) + payload, (dst, 0))
