package io.objectbroker.server;

import java.util.Arrays;
import java.util.List;

class CalculatorImpl implements Calculator {
  @Override
  public int add(int a, int b) {
    return a + b;
  }

  @Override
  public long add(long a, long b, long c) {
    return a + b + c;
  }

  @Override
  public double divide(double a, double b) {
    if (b == 0) {
      throw new ArithmeticException("division by zero");
    }
    return a / b;
  }

  @Override
  public String echo(String s) {
    return s;
  }

  @Override
  public byte[] echoBytes(byte[] data) {
    return data;
  }

  @Override
  public List<String> split(String s) {
    return Arrays.asList(s.split(","));
  }

  @Override
  public Point move(Point p, int dx) {
    return new Point(p.x() + dx, p.y());
  }

  @Override
  public void fail(String message) throws CalculatorException {
    throw new CalculatorException(message);
  }

  @Override
  public void crash(String message) {
    throw new SecretException(message);
  }

  @Override
  public String sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return "slept " + millis;
  }

  @Override
  public Object unregistered() {
    return new StringBuilder("x").append(Thread.currentThread());
  }

  @Override
  public String threadOfNonBlocking() {
    return Thread.currentThread().getName();
  }

  @Override
  public String threadOfNonBlockingWith(byte[] data) {
    return Thread.currentThread().getName() + " " + data.length;
  }

  @Override
  public String threadOfBlocking() {
    return Thread.currentThread().getName();
  }

  /** Not public in the interface's signatures, so the client cannot rebuild it. */
  static final class SecretException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SecretException(String message) {
      super(message);
    }
  }

  /** Not exposed: not in the remote interface. */
  public String secret() {
    return "secret";
  }
}
