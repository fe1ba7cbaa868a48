# A UDP socket that never reads, with the smallest receive buffer: datagrams overflow it (SOCKET_RCVBUFF).
#   udp_sink.py PORT     (prints "ready" once bound, then sleeps until killed)
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
time.sleep(600)
