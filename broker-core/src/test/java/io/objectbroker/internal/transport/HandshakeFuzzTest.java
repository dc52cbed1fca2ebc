package io.objectbroker.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.objectbroker.Credentials;
import io.objectbroker.Principal;
import io.objectbroker.SerializationException;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.FrameDecoder;
import io.objectbroker.internal.protocol.FrameEncoder;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.naming.NameServer;
import io.objectbroker.testing.FuzzMode;
import io.objectbroker.testing.StreamPieces;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Fuzzes the handshake and authentication of a {@link Connection} from the other end of the
 * socket: the bytes a client sends to a server (that requires credentials, takes them
 * optionally, or takes none), or a server sends to a client that has credentials. The
 * connection runs in the pipeline {@code Transport} gives it, on an {@link EmbeddedChannel}.
 * For any bytes:
 *
 * <ul>
 *   <li>no exception leaves the pipeline, and every buffer is released once the channel closes;
 *   <li>a server that requires credentials serves nothing to a peer that has not proved who it
 *       is (no HMAC can be guessed): no call reaches its handler, its decoder keeps the
 *       handshake's 4 KiB limit, and it writes nothing but HELLO_ACK and CLOSE;
 *   <li>a server that takes credentials optionally lets anonymous callers in, but no one else;
 *   <li>a client with credentials never finishes a handshake with a server that did not prove
 *       it knows the secret.
 * </ul>
 *
 * <p>The input:
 *
 * <pre>
 * byte 0   bits 0-1  the side fuzzed: 0 a server that requires credentials; 1 a server that
 *                    takes them optionally; 2 a server without users; 3 a client with
 *                    credentials (the fuzzer is its server)
 * then     what the peer sends, in {@link StreamPieces} (64 KiB at most)
 * </pre>
 *
 * <p>Run on the inputs in {@code HandshakeFuzzTestInputs} by every build; fuzzed with the
 * {@code fuzz} profile (see the README).
 */
class HandshakeFuzzTest {

  private static final int MAX_STREAM = 64 * 1024;
  private static final byte[] SECRET = "a secret nobody guesses".getBytes(StandardCharsets.UTF_8);
  private static final Principal ALICE = new Principal("alice", Set.of("operator"), List.of());
  private static final Authentication.Accounts ACCOUNTS =
      identity -> identity.equals("alice") ? new Authentication.Account(ALICE, SECRET) : null;

  private static final KryoCodec CODEC = new KryoCodec();
  private static final UnpooledByteBufAllocator HEAP = new UnpooledByteBufAllocator(false);
  private static final List<String> QUIET =
      List.of(Connection.class.getName(), Authentication.class.getName());

  static {
    CODEC.register(NameServer.class);
  }

  private enum Side { REQUIRED, OPTIONAL, NO_USERS, CLIENT }

  @BeforeAll
  static void quietWhenFuzzing() {
    FuzzMode.sampleLeaksWhileFuzzing();
    if (FuzzMode.isFuzzing()) {
      // A WARN line per malformed connection, thousands a second.
      QUIET.forEach(name -> ((Logger) LoggerFactory.getLogger(name)).setLevel(Level.ERROR));
    }
  }

  @AfterAll
  static void loudAgain() {
    FuzzMode.trackLeaksAgain();
    QUIET.forEach(name -> ((Logger) LoggerFactory.getLogger(name)).setLevel(null));
  }

  @FuzzTest
  @Timeout(10)
  void aPeerThatProvesNothingGetsNothing(byte[] input) throws Exception {
    if (input.length < 1) {
      return;
    }
    Side side = Side.values()[input[0] & 3];
    List<byte[]> pieces = StreamPieces.of(input, 1, MAX_STREAM);

    Authentication.ServerPolicy policy = switch (side) {
      case REQUIRED -> new Authentication.ServerPolicy(ACCOUNTS, false);
      case OPTIONAL -> new Authentication.ServerPolicy(ACCOUNTS, true);
      default -> Authentication.ServerPolicy.NONE;
    };
    boolean isClient = side == Side.CLIENT;
    Credentials credentials = isClient
        ? Credentials.of("alice", new String(SECRET, StandardCharsets.UTF_8)) : null;
    EmbeddedChannel channel = new EmbeddedChannel(false, false);
    channel.config().setAllocator(HEAP);
    long heldBefore = held();
    Calls calls = new Calls();
    Connection connection = new Connection(channel, CODEC, calls, isClient,
        Protocol.DEFAULT_MAX_FRAME_BYTES, "fuzzer:1", credentials, policy);
    // As Transport sets a connection up (without TLS and keepalive).
    FrameDecoder decoder = new FrameDecoder(Protocol.DEFAULT_MAX_FRAME_BYTES,
        Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES);
    channel.pipeline().addLast(decoder, FrameEncoder.INSTANCE, connection.new Handler());
    channel.register();

    Outbound outbound = new Outbound();
    long fed = 0;
    try {
      outbound.drain(channel);
      for (byte[] piece : pieces) {
        if (!channel.isOpen()) {
          break; // a closed socket reads nothing more
        }
        channel.writeInbound(HEAP.buffer(piece.length).writeBytes(piece));
        fed += piece.length;
        outbound.drain(channel);
        assertThat(held() - heldBefore).as("bytes held after %d bytes received", fed)
            .isLessThanOrEqualTo(3 * fed + 64 * 1024 + 1024);
      }
      channel.checkException();
    } finally {
      channel.finishAndReleaseAll();
    }

    switch (side) {
      case REQUIRED -> {
        assertThat(calls.received).as("calls served").isZero();
        assertThat(decoder.isHandshakeDone()).as("the decoder's limit lifted").isFalse();
        assertThat(connection.principal()).isEqualTo(Principal.ANONYMOUS);
        assertThat(connection.handshake()).as("the handshake").isNotCompleted();
        assertThat(outbound.written).as("frames written")
            .isSubsetOf(EnumSet.of(Written.HELLO_ACK, Written.CLOSE));
      }
      case OPTIONAL, NO_USERS -> assertThat(connection.principal()).as("who the peer is")
          .isEqualTo(Principal.ANONYMOUS);
      case CLIENT -> assertThat(connection.handshake()).as("the handshake")
          .isNotCompleted();
    }
    assertThat(held() - heldBefore).as("buffers still allocated once the channel closed")
        .isZero();
  }

  /** What a connection wrote, by frame type. */
  private enum Written { HELLO, HELLO_ACK, AUTH, AUTH_OK, CALL, RESULT, ERROR, PONG, CLOSE, OTHER }

  /** Reads the frames a connection wrote, as the encoder wrote them: one or two buffers each. */
  private static final class Outbound {
    final EnumSet<Written> written = EnumSet.noneOf(Written.class);
    private long payloadLeft;

    void drain(EmbeddedChannel channel) {
      for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
        try {
          read(b);
        } finally {
          b.release();
        }
      }
    }

    private void read(ByteBuf b) {
      while (b.isReadable()) {
        if (payloadLeft > 0) {
          int n = (int) Math.min(payloadLeft, b.readableBytes());
          b.skipBytes(n);
          payloadLeft -= n;
          continue;
        }
        assertThat(b.readableBytes()).as("a frame header written").isGreaterThanOrEqualTo(
            Protocol.HEADER_LENGTH);
        assertThat(b.readShort()).as("the magic written").isEqualTo(Protocol.MAGIC);
        b.skipBytes(1);
        written.add(switch (b.readByte()) {
          case Protocol.HELLO -> Written.HELLO;
          case Protocol.HELLO_ACK -> Written.HELLO_ACK;
          case Protocol.AUTH -> Written.AUTH;
          case Protocol.AUTH_OK -> Written.AUTH_OK;
          case Protocol.CALL -> Written.CALL;
          case Protocol.RESULT -> Written.RESULT;
          case Protocol.ERROR -> Written.ERROR;
          case Protocol.PONG -> Written.PONG;
          case Protocol.CLOSE -> Written.CLOSE;
          default -> Written.OTHER;
        });
        b.skipBytes(6);
        payloadLeft = b.readUnsignedInt();
      }
    }
  }

  private static long held() {
    return HEAP.metric().usedHeapMemory() + HEAP.metric().usedDirectMemory();
  }

  /** Serves calls as the dispatcher reads them: target first, then the arguments. */
  private static final class Calls implements Connection.CallHandler {
    int received;

    @Override
    public void onCall(Connection connection, Frame call) {
      received++;
      try {
        KryoCodec.Target target = CODEC.peekTarget(call.content());
        KryoCodec.Call decoded = CODEC.decodeCall(call.content(), target);
        if (!call.hasFlag(Protocol.FLAG_ONEWAY)) {
          connection.reply(call.requestId(), decoded.args().length);
        }
      } catch (SerializationException e) {
        if (!call.hasFlag(Protocol.FLAG_ONEWAY)) {
          connection.replyError(call.requestId(), e);
        }
      } finally {
        call.release();
      }
    }
  }
}
