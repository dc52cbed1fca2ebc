package io.objectbroker.internal.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file of a listening Unix socket. Binding needs the path free, and the kernel does not
 * remove the file when the socket closes: a server that crashed leaves it behind. So before a
 * bind the path is {@linkplain #claim claimed}: a socket file that no one accepts on is stale
 * and removed, while a live server's socket (a connect succeeds) and any other kind of file are
 * left alone and the bind refused. After the bind this handler, on the listening channel,
 * removes the file when the channel closes, before the close completes, unless the file was
 * replaced meanwhile.
 */
final class UnixSocketFile extends ChannelOutboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(UnixSocketFile.class);

  private final Address address;
  private volatile boolean isBound;
  private volatile Object fileKey; // null where the file system has no file keys

  private UnixSocketFile(Address address) {
    this.address = address;
  }

  /**
   * Makes the path of {@code address} free to bind: removes a stale socket file.
   *
   * @return the handler that removes the file once the listening channel closes
   * @throws CommunicationException naming the path if a live server listens there, or the
   *     path is taken by something other than a socket
   */
  static UnixSocketFile claim(Address address) {
    Path path = address.path();
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return new UnixSocketFile(address);
    } catch (IOException e) {
      throw refused(address, "cannot inspect the path: " + e.getMessage(), e);
    }
    if (!attributes.isOther()) {
      throw refused(address, "the path is taken by a "
          + (attributes.isDirectory() ? "directory" : "file that is not a socket"), null);
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw refused(address, "another server is listening on it", null);
    } catch (ConnectException e) {
      // Connection refused: nobody accepts on it, the file is left over.
    } catch (IOException e) {
      throw refused(address, "cannot tell whether a server listens on it: " + e.getMessage(),
          e);
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw refused(address, "cannot remove the stale socket file: " + e.getMessage(), e);
    }
    log.info("removed the stale socket file {} (its server is gone)", address);
    return new UnixSocketFile(address);
  }

  private static CommunicationException refused(Address address, String why, Throwable cause) {
    return new CommunicationException("cannot listen on " + address + ": " + why, cause);
  }

  /** Remembers which file the bind made, so that only that one is removed. */
  void bound() {
    fileKey = fileKey(address.path());
    isBound = true;
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    ChannelPromise closed = ctx.newPromise();
    closed.addListener(f -> {
      remove();
      if (f.isSuccess()) {
        promise.trySuccess();
      } else {
        promise.tryFailure(f.cause());
      }
    });
    ctx.close(closed);
  }

  /** Removes the socket file if it is still the one this server bound. */
  void remove() {
    Object key = fileKey;
    Path path = address.path();
    if (isBound && (key == null || Objects.equals(key, fileKey(path)))) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        log.warn("cannot remove the socket file {}: {}", address, e.getMessage());
      }
    }
  }

  private static Object fileKey(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException e) {
      return null;
    }
  }
}
