package io.objectbroker.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.NoSuchObjectException;
import java.rmi.RemoteException;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;

/**
 * Java RMI: the echo object exported with {@link UnicastRemoteObject} on an ephemeral loopback
 * port, called through its stub (no registry). Every thread shares the stub; RMI opens a
 * further connection for each concurrent call and reuses idle ones.
 */
final class RmiContender implements Contender {

  /** The echo service as an RMI remote interface. */
  public interface RmiEcho extends java.rmi.Remote {
    /** Returns {@code data}. */
    byte[] echo(byte[] data) throws RemoteException;
  }

  private static final class Echo implements RmiEcho {
    @Override
    public byte[] echo(byte[] data) {
      return data;
    }
  }

  /** Binds the loopback interface only; equal to any other, so RMI may share its port. */
  private static final class LoopbackSockets implements RMIServerSocketFactory {
    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return new ServerSocket(port, 128, InetAddress.getLoopbackAddress());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LoopbackSockets;
    }

    @Override
    public int hashCode() {
      return LoopbackSockets.class.hashCode();
    }
  }

  private final Echo target = new Echo();
  private final RmiEcho stub;

  RmiContender() throws RemoteException {
    // Read when RMI first exports an object: the host put in stubs, and a bound on each call.
    System.setProperty("java.rmi.server.hostname", "127.0.0.1");
    System.setProperty("sun.rmi.transport.tcp.responseTimeout", "30000");
    stub = (RmiEcho) UnicastRemoteObject.exportObject(target, 0, null, new LoopbackSockets());
  }

  @Override
  public String name() {
    return "rmi";
  }

  @Override
  public SyncEcho client() {
    return stub::echo;
  }

  @Override
  public boolean connectionPerClient() {
    return false;
  }

  @Override
  public AsyncEcho asyncClient() {
    return null;
  }

  @Override
  public void close() {
    try {
      UnicastRemoteObject.unexportObject(target, true);
    } catch (NoSuchObjectException e) {
      // not exported any more: nothing to close
    }
  }
}
