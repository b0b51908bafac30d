"""Shell clients that come and go. While a kernel starts, Jupyter's server keeps opening
short-lived shell connections, sends kernel_info requests on them and drops them once one is
answered (its "nudge"), while the browser's own connection arrives. The kernel must go on
answering every client: evcxr_jupyter's shell handler once stopped for good when a peer
dropped at the wrong moment (scripts/evcxr_jupyter.patch, part 10; seen in one kernel of
three in the hub test)."""
import random
import threading
import time

import zmq
from jupyter_client.manager import KernelManager

SECONDS = 30
CHURNERS = 4


def answered(session, socket, timeout):
    """The first kernel_info_reply on `socket` within `timeout` seconds, or None."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if not socket.poll(int(left * 1000)):
            return None
        _, msg = session.recv(socket, mode=zmq.NOBLOCK)
        if msg and msg["msg_type"] == "kernel_info_reply":
            return msg
    return None


def test_the_kernel_answers_while_shell_clients_come_and_go():
    km = KernelManager(kernel_name="rust-tch")
    km.start_kernel()
    stop = threading.Event()
    churners = []
    try:
        session = km.session
        first = km.connect_shell()
        session.send(first, "kernel_info_request")
        assert answered(session, first, 120), "the kernel did not start"
        first.close(linger=0)

        def churn():
            # Short-lived clients, as the server's nudge: each asks, and some are gone before
            # their reply.
            while not stop.is_set():
                transient = km.connect_shell()
                session.send(transient, "kernel_info_request")
                session.send(transient, "kernel_info_request")
                transient.poll(int(random.random() * 20))
                transient.close(linger=0)

        churners = [threading.Thread(target=churn) for _ in range(CHURNERS)]
        for t in churners:
            t.start()
        steady = km.connect_shell()
        deadline = time.monotonic() + SECONDS
        asked = 0
        while time.monotonic() < deadline:
            session.send(steady, "kernel_info_request")
            asked += 1
            assert answered(session, steady, 20), (
                f"request {asked}: no kernel_info_reply within 20 s: the kernel stopped answering"
            )
        steady.close(linger=0)
    finally:
        stop.set()
        for t in churners:
            t.join()
        km.shutdown_kernel(now=True)
