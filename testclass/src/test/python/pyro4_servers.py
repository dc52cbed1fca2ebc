"""A Pyro4 name server and a daemon serving test objects, for ObjectBroker's Java client.

Prints "READY <name server port> <daemon port>" once both serve, then serves until stdin
closes (the test that started it ends). Ports are chosen by the system; loopback only.
"""
import sys
import threading
import time

import Pyro4
import Pyro4.naming

Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent"}


@Pyro4.expose
class Inventory(object):
    def __init__(self):
        self.items = {}
        self.notes = []

    def add_item(self, name, count):
        self.items[name] = self.items.get(name, 0) + count
        return self.items[name]

    def count(self, name):
        if name not in self.items:
            raise KeyError(name)
        return self.items[name]

    def describe(self, name):
        return {"name": name, "count": self.items.get(name, 0), "tags": ["a", "b"],
                "size_bytes": 2 ** 40}

    def echo(self, value):
        return value

    def fail(self, message):
        raise ValueError(message)

    def slow(self, seconds):
        time.sleep(seconds)
        return seconds

    @Pyro4.oneway
    def note(self, text):
        self.notes.append(text)

    def notes_taken(self):
        return list(self.notes)


def main():
    ns_uri, ns_daemon, _ = Pyro4.naming.startNS(host="127.0.0.1", port=0,
                                                enableBroadcast=False)
    threading.Thread(target=ns_daemon.requestLoop, daemon=True).start()
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    uri = daemon.register(Inventory(), "inventory")
    ns = Pyro4.Proxy(ns_uri)
    ns.register("test.inventory", uri)
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
    print("READY %d %d" % (ns_uri.port, uri.port), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
