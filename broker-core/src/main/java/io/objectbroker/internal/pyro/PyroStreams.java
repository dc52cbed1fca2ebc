package io.objectbroker.internal.pyro;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.objectbroker.MessageTooLargeException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Pyro messages over a blocking stream, framed as {@link PyroFrameCodec} frames them. */
public final class PyroStreams {

  private PyroStreams() {}

  /**
   * Reads one message of either version.
   *
   * @param limit the largest data and annotations accepted, and inflated
   * @throws MessageTooLargeException if the message announces more than {@code limit}: the
   *     stream is then in the middle of it, and of no further use
   * @throws io.objectbroker.ProtocolException if it is not a Pyro message
   * @throws EOFException if the stream ends first
   */
  public static PyroMessage read(InputStream in, int limit) throws IOException {
    byte[] start = readFully(in, 6);
    ByteBuf head = Unpooled.wrappedBuffer(start);
    int headerSize = PyroFrameCodec.headerSize(head, 0);
    byte[] whole = new byte[headerSize];
    System.arraycopy(start, 0, whole, 0, start.length);
    readFully(in, whole, start.length, headerSize - start.length);
    PyroFrameCodec.Header h = PyroFrameCodec.header(Unpooled.wrappedBuffer(whole), 0);
    long size = h.dataSize() + h.annotationsSize();
    if (size > limit) {
      throw new MessageTooLargeException("a " + h.empty().pyro() + " message of " + size
          + " bytes, more than the limit of " + limit);
    }
    return PyroFrameCodec.body(h, Unpooled.wrappedBuffer(readFully(in, (int) size)), limit);
  }

  /** Writes {@code m} and flushes. */
  public static void write(PyroMessage m, OutputStream out) throws IOException {
    ByteBuf buf = Unpooled.buffer(PyroMessage.PYRO5_HEADER + m.data().length + 64);
    PyroFrameCodec.write(m, buf);
    out.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
    out.flush();
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] b = new byte[n];
    readFully(in, b, 0, n);
    return b;
  }

  private static void readFully(InputStream in, byte[] b, int off, int n) throws IOException {
    int done = in.readNBytes(b, off, n);
    if (done < n) {
      throw new EOFException("the Pyro peer closed the connection "
          + (done == 0 && off == 0 ? "before answering" : "in the middle of a message"));
    }
  }
}
