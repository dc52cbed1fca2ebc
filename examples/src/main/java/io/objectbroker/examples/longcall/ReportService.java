package io.objectbroker.examples.longcall;

import io.objectbroker.Remote;

/** Makes reports that take a while: the remote interface of the long-call example. */
@Remote
public interface ReportService {

  /** The report of {@code quarter}; takes as long as the server is told. */
  String generate(String quarter) throws InterruptedException;
}
