package io.objectbroker.naming.server;

import io.objectbroker.Remote;

@Remote
public interface Echo {
  String echo(String s);
}
