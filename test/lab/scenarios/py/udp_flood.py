# Sends COUNT datagrams of 1000 bytes to DST:PORT as fast as it can.
import socket
import sys

dst, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(b"x" * 1000, (dst, port))
