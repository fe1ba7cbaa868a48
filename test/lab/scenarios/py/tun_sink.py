# Opens tun device NAME (it must exist) and reads and discards what the kernel routes into it: the far side of a
# forwarded packet, like a wire. Prints "ready" once attached.
import fcntl
import os
import struct
import sys

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", sys.argv[1].encode(), IFF_TUN | IFF_NO_PI))
print("ready", flush=True)
while True:
    os.read(fd, 65536)
