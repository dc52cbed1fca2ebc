package io.objectbroker.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A byte stream cut into pieces, as a fuzz target's input describes it: each piece is what
 * one read of a socket would return.
 *
 * <pre>
 * c &lt; 0xF0    c + 1 bytes of the stream follow (fewer if the input ends)
 * c &gt;= 0xF0   two bytes m, f follow: (m + 1) &lt;&lt; (c &amp; 0x0F) bytes of f, a large
 *             payload in three bytes
 * </pre>
 */
public final class StreamPieces {

  private StreamPieces() {}

  /**
   * The pieces that {@code input} describes from {@code from} on, up to {@code maxBytes} bytes
   * in all.
   */
  public static List<byte[]> of(byte[] input, int from, int maxBytes) {
    List<byte[]> pieces = new ArrayList<>();
    long total = 0;
    int i = from;
    while (i < input.length && total < maxBytes) {
      int c = input[i++] & 0xFF;
      byte[] piece;
      if (c < 0xF0) {
        int n = (int) Math.min(Math.min(c + 1, input.length - i), maxBytes - total);
        piece = Arrays.copyOfRange(input, i, i + n);
        i += c + 1;
      } else {
        int m = i < input.length ? input[i++] & 0xFF : 0;
        byte f = i < input.length ? input[i++] : 0;
        long n = (long) (m + 1) << (c & 0x0F);
        piece = new byte[(int) Math.min(n, maxBytes - total)];
        Arrays.fill(piece, f);
      }
      pieces.add(piece);
      total += piece.length;
    }
    return pieces;
  }

  /** The pieces joined: the whole stream. */
  public static byte[] join(List<byte[]> pieces) {
    int n = pieces.stream().mapToInt(p -> p.length).sum();
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : pieces) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
