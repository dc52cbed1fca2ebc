package io.objectbroker.server;

import io.objectbroker.Remote;
import java.util.List;

@Remote
public interface Calculator {
  int add(int a, int b);

  long add(long a, long b, long c);

  double divide(double a, double b);

  String echo(String s);

  byte[] echoBytes(byte[] data);

  List<String> split(String s);

  Point move(Point p, int dx);

  void fail(String message) throws CalculatorException;

  void crash(String message);

  String sleep(long millis) throws InterruptedException;

  Object unregistered();

  @io.objectbroker.NonBlocking
  String threadOfNonBlocking();

  /** The thread it ran on, and how many bytes it was given. */
  @io.objectbroker.NonBlocking
  String threadOfNonBlockingWith(byte[] data);

  String threadOfBlocking();
}
