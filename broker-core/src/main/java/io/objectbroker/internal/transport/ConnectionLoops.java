package io.objectbroker.internal.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event loops of a server's accepted connections: each connection gets a loop (an I/O
 * thread) of its own while fewer than {@code max} have one, as Java RMI gives each connection
 * a thread; the others share the process's I/O threads. On a loop of its own a blocking
 * client's calls run where they are read (see {@link Connection#runsCallsInline()}): the
 * thread that reads the call runs the method and writes the answer, so that a call wakes two
 * threads (the server's and the caller's), not four (the I/O thread, a worker, the I/O thread
 * again, and the caller). A loop whose connection closed serves the next one; a few are kept
 * idle, the others end.
 *
 * <p>Netty moves no channel between loops, so the loop is chosen when the connection is
 * accepted, before it is known whether the client blocks; a multiplexing client's calls go to
 * the worker pool as on a shared loop.
 */
final class ConnectionLoops extends AbstractEventExecutorGroup implements IoEventLoopGroup {

  /** Idle loops kept for the next connections; the others end when their connection closes. */
  static final int KEPT_IDLE = 4;

  /** A loop that serves one connection at a time. */
  static final class OwnLoop extends SingleThreadIoEventLoop {
    OwnLoop(IoEventLoopGroup parent, ThreadFactory threads) {
      super(parent, threads, NioIoHandler.newFactory());
    }
  }

  /**
   * The thread of an {@link OwnLoop}: an I/O thread that runs application code, which may
   * block, and whose own synchronous calls take blocking connections (see {@link
   * Transport#onIoThread()}).
   */
  static final class CallThread extends FastThreadLocalThread {
    CallThread(Runnable r, String name) {
      super(r, name);
      setDaemon(true);
    }
  }

  private final IoEventLoopGroup shared;
  private final int max;
  private final String prefix;
  private final AtomicInteger threadNumber = new AtomicInteger();
  private final ArrayDeque<OwnLoop> idle = new ArrayDeque<>(); // guarded by this
  private final List<OwnLoop> all = new ArrayList<>(); // guarded by this; the live loops
  private int inUse; // guarded by this
  private boolean shuttingDown; // guarded by this
  private final Promise<Void> terminated = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);

  /**
   * @param shared the loops of the connections beyond {@code max}
   * @param max how many connections at once get a loop of their own (0: none)
   * @param name names the threads: {@code objectbroker-call-NAME-N}
   */
  ConnectionLoops(IoEventLoopGroup shared, int max, String name) {
    this.shared = shared;
    this.max = max;
    this.prefix = "objectbroker-call-" + name + "-";
  }

  /** Whether {@code channel} is served by a loop of its own. */
  static boolean ownsLoop(Channel channel) {
    return channel.eventLoop() instanceof OwnLoop;
  }

  @Override
  public ChannelFuture register(Channel channel) {
    OwnLoop loop = take();
    if (loop == null) {
      return shared.register(channel);
    }
    channel.closeFuture().addListener(x -> giveBack(loop));
    return loop.register(channel);
  }

  @Override
  public ChannelFuture register(ChannelPromise promise) {
    OwnLoop loop = take();
    if (loop == null) {
      return shared.register(promise);
    }
    promise.channel().closeFuture().addListener(x -> giveBack(loop));
    return loop.register(promise);
  }

  @Override
  @Deprecated
  public ChannelFuture register(Channel channel, ChannelPromise promise) {
    return register(promise);
  }

  private synchronized OwnLoop take() {
    if (shuttingDown || inUse >= max) {
      return null;
    }
    inUse++;
    OwnLoop loop = idle.pollFirst(); // the one idle the shortest time: its caches are warm
    if (loop == null) {
      loop = new OwnLoop(this,
          r -> new CallThread(r, prefix + threadNumber.incrementAndGet()));
      all.add(loop);
    }
    return loop;
  }

  private void giveBack(OwnLoop loop) {
    boolean end;
    synchronized (this) {
      inUse--;
      end = shuttingDown || idle.size() >= KEPT_IDLE;
      if (end) {
        all.remove(loop);
      } else {
        idle.addFirst(loop);
      }
    }
    if (end) {
      // Quietly for a moment: a task another thread gives the closed connection just now
      // (its CLOSE, say) is taken, not refused.
      loop.shutdownGracefully(100, 1000, TimeUnit.MILLISECONDS);
    }
  }

  /** How many connections have a loop of their own now. */
  synchronized int inUse() {
    return inUse;
  }

  /** How many loops are alive: those in use and those kept idle. */
  synchronized int alive() {
    return all.size();
  }

  @Override
  public IoEventLoop next() {
    return shared.next();
  }

  @Override
  public Iterator<EventExecutor> iterator() {
    synchronized (this) {
      return new ArrayList<EventExecutor>(all).iterator();
    }
  }

  /**
   * Ends every loop once the tasks it has were run (a call running on one finishes first);
   * the shared loops are not this group's.
   */
  @Override
  public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
    List<OwnLoop> loops;
    synchronized (this) {
      if (shuttingDown) {
        return terminated;
      }
      shuttingDown = true;
      loops = new ArrayList<>(all);
    }
    if (loops.isEmpty()) {
      terminated.trySuccess(null);
      return terminated;
    }
    AtomicInteger left = new AtomicInteger(loops.size());
    for (OwnLoop loop : loops) {
      loop.shutdownGracefully(quietPeriod, timeout, unit).addListener(x -> {
        if (left.decrementAndGet() == 0) {
          terminated.trySuccess(null);
        }
      });
    }
    return terminated;
  }

  @Override
  public Future<?> terminationFuture() {
    return terminated;
  }

  @Override
  @Deprecated
  public void shutdown() {
    shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized boolean isShuttingDown() {
    return shuttingDown;
  }

  @Override
  public boolean isShutdown() {
    return isShuttingDown();
  }

  @Override
  public boolean isTerminated() {
    return terminated.isDone();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return terminated.await(timeout, unit);
  }
}
