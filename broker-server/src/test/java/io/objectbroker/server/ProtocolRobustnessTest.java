package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.Broker;
import io.objectbroker.internal.protocol.Protocol;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Speaks the wire protocol by hand over a plain socket: whatever a peer sends, the server
 * answers with a clear refusal or closes that one connection, and keeps serving everyone else.
 */
class ProtocolRobustnessTest {

  private ObjectServer server;
  private Broker broker;
  private Calculator calc;

  @BeforeEach
  void start() {
    server = ObjectServer.builder().maxFrameBytes(64 * 1024).build()
        .register("calc", new CalculatorImpl()).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    calc = broker.proxy(Calculator.class, server.uri("calc").toString());
    assertThat(calc.add(1, 1)).isEqualTo(2);
  }

  @AfterEach
  void stop() {
    broker.close();
    server.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(server.address().host(), server.address().port());
    s.setSoTimeout(5000);
    return s;
  }

  private static void writeFrame(DataOutputStream out, int version, byte type, int flags, int id,
      byte[] payload) throws IOException {
    out.writeShort(Protocol.MAGIC);
    out.writeByte(version);
    out.writeByte(type);
    out.writeShort(flags);
    out.writeInt(id);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  private record RawFrame(int version, byte type, int id, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private static RawFrame readFrame(DataInputStream in) throws IOException {
    assertThat(in.readShort()).isEqualTo(Protocol.MAGIC);
    int version = in.readUnsignedByte();
    byte type = in.readByte();
    in.readUnsignedShort();
    int id = in.readInt();
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    return new RawFrame(version, type, id, payload);
  }

  private static byte[] hello() {
    return new byte[] {0, 1, 0, 0}; // accepts 64 KiB
  }

  @Test
  void versionMismatchIsRefusedNamingBothVersions() throws IOException {
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      writeFrame(out, 2, Protocol.HELLO, 0, 0, hello());
      RawFrame reply = readFrame(in);
      assertThat(reply.type()).isEqualTo(Protocol.CLOSE);
      assertThat(reply.version()).isEqualTo(Protocol.VERSION);
      assertThat(reply.text()).isEqualTo(
          "protocol version mismatch: client speaks version 2, server speaks version 1");
      assertThat(in.read()).isEqualTo(-1); // closed
    }
    assertThat(calc.add(2, 2)).isEqualTo(4);
  }

  @Test
  void callBeforeHandshakeIsRefused() throws IOException {
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      writeFrame(out, 1, Protocol.CALL, 0, 1, new byte[] {1, 2, 3});
      RawFrame reply = readFrame(new DataInputStream(s.getInputStream()));
      assertThat(reply.type()).isEqualTo(Protocol.CLOSE);
      assertThat(reply.text()).isEqualTo("expected HELLO, got CALL");
    }
    assertThat(calc.add(2, 2)).isEqualTo(4);
  }

  @Test
  void notOurProtocolIsClosedAndOthersGoOn() throws IOException {
    try (Socket s = connect()) {
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      RawFrame reply = readFrame(new DataInputStream(s.getInputStream()));
      assertThat(reply.type()).isEqualTo(Protocol.CLOSE);
      assertThat(reply.text()).contains("bad magic");
    }
    assertThat(calc.add(3, 3)).isEqualTo(6);
  }

  @Test
  void malformedCallPayloadGetsAnErrorAndTheConnectionStaysUp() throws IOException {
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      writeFrame(out, 1, Protocol.HELLO, 0, 0, hello());
      assertThat(readFrame(in).type()).isEqualTo(Protocol.HELLO_ACK);
      byte[] junk = new byte[200];
      new Random(7).nextBytes(junk);
      writeFrame(out, 1, Protocol.CALL, 0, 42, junk);
      RawFrame error = readFrame(in);
      assertThat(error.type()).isEqualTo(Protocol.ERROR);
      assertThat(error.id()).isEqualTo(42);
      assertThat(error.text()).contains("io.objectbroker.SerializationException");
      writeFrame(out, 1, Protocol.PING, 0, 43, new byte[0]);
      RawFrame pong = readFrame(in);
      assertThat(pong.type()).isEqualTo(Protocol.PONG);
      assertThat(pong.id()).isEqualTo(43);
    }
  }

  @Test
  void oversizedCallIsAnsweredWithItsLimitBeforeThePayloadArrives() throws IOException {
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      writeFrame(out, 1, Protocol.HELLO, 0, 0, hello());
      readFrame(in);
      // Announce 1 GiB and send only the header: the answer must not wait for the payload.
      out.writeShort(Protocol.MAGIC);
      out.writeByte(1);
      out.writeByte(Protocol.CALL);
      out.writeShort(0);
      out.writeInt(5);
      out.writeInt(1 << 30);
      out.flush();
      RawFrame error = readFrame(in);
      assertThat(error.type()).isEqualTo(Protocol.ERROR);
      assertThat(error.id()).isEqualTo(5);
      assertThat(error.text()).contains(
          "CALL frame of 1073741824 bytes exceeds the limit of 65536 bytes");
    }
    assertThat(calc.add(4, 4)).isEqualTo(8);
  }

  @Test
  void randomBytesNeverTakeTheServerDown() throws IOException {
    Random random = new Random(1234);
    for (int i = 0; i < 50; i++) {
      try (Socket s = connect()) {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        if (i % 2 == 0) {
          writeFrame(out, 1, Protocol.HELLO, 0, 0, hello());
        }
        byte[] junk = new byte[random.nextInt(300)];
        random.nextBytes(junk);
        if (junk.length > 2 && i % 3 == 0) {
          junk[0] = 0x4F; // a valid magic, then garbage
          junk[1] = 0x42;
        }
        out.write(junk);
        out.flush();
      } catch (IOException e) {
        // the server may close on us mid-write: that is an acceptable answer
      }
    }
    assertThat(calc.add(5, 5)).isEqualTo(10);
  }

  @Test
  void clientThatDisconnectsMidCallDoesNotDisturbTheServer() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Broker quitter = Broker.builder().build();
    try {
      Calculator c = quitter.proxy(Calculator.class, server.uri("calc").toString());
      assertThat(c.add(0, 0)).isZero(); // connected
      pool.submit(() -> {
        started.countDown();
        return c.sleep(1000);
      });
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> server.connectionCount() == 2);
      quitter.close(); // the call is in flight on the server
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> server.connectionCount() == 1);
      // The server finishes the orphaned call, drops its answer, and serves others meanwhile.
      assertThat(calc.add(6, 6)).isEqualTo(12);
      assertThat(calc.sleep(1200)).isEqualTo("slept 1200");
    } finally {
      pool.shutdownNow();
      quitter.close();
    }
  }

  @Test
  void silentPeerIsDroppedAfterTheHandshakeTimeoutNotKeptForever() throws IOException {
    try (Socket s = connect()) {
      s.setSoTimeout(15_000);
      // Send nothing: the server gives up on the handshake after 10 s.
      RawFrame reply = readFrame(new DataInputStream(s.getInputStream()));
      assertThat(reply.type()).isEqualTo(Protocol.CLOSE);
      assertThat(reply.text()).contains("no handshake");
    } catch (EOFException e) {
      throw new AssertionError("closed without a reason", e);
    }
  }

  @Test
  void callClaimingATwoBillionCharacterStringIsRefusedWithoutAllocatingIt() throws IOException {
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      writeFrame(out, 1, Protocol.HELLO, 0, 0, hello());
      readFrame(in);
      // Kryo's string header: "UTF-8, 2,000,000,000 characters", and nothing after it.
      com.esotericsoftware.kryo.io.Output header = new com.esotericsoftware.kryo.io.Output(8);
      header.writeVarIntFlag(true, 2_000_000_001, true);
      writeFrame(out, 1, Protocol.CALL, 0, 9, header.toBytes());
      RawFrame error = readFrame(in);
      assertThat(error.type()).isEqualTo(Protocol.ERROR);
      assertThat(error.id()).isEqualTo(9);
      assertThat(error.text()).contains("string of 2000000000 elements in 0 bytes");
      writeFrame(out, 1, Protocol.PING, 0, 10, new byte[0]);
      assertThat(readFrame(in).type()).isEqualTo(Protocol.PONG);
    }
    assertThat(calc.add(8, 8)).isEqualTo(16);
  }

  @Test
  void peerThatNeverReadsIsThrottledAndCannotHoldTheServerOpen() throws Exception {
    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(
        server.address().host(), server.address().port()))) {
      ByteBuffer hello = ByteBuffer.allocate(18).putShort(Protocol.MAGIC).put((byte) 1)
          .put(Protocol.HELLO).putShort((short) 0).putInt(0).putInt(4).putInt(1 << 16).flip();
      while (hello.hasRemaining()) {
        ch.write(hello);
      }
      ch.configureBlocking(false);
      // PINGs, never reading the PONGs: once its unread answers pass the high-water mark, the
      // server stops reading, and then the socket buffers fill and writes stall.
      ByteBuffer pings = ByteBuffer.allocate(14 * 4096);
      while (pings.hasRemaining()) {
        pings.putShort(Protocol.MAGIC).put((byte) 1).put(Protocol.PING).putShort((short) 0)
            .putInt(1).putInt(0);
      }
      long limit = 512L << 20;
      long[] written = {0};
      long[] stalledSince = {0};
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> {
            long n = 0;
            int w;
            do {
              if (!pings.hasRemaining()) {
                pings.rewind(); // whole frames only: a partial write resumes where it stopped
              }
              w = ch.write(pings);
              n += w;
            } while (w > 0 && n < limit);
            written[0] += n;
            assertThat(written[0]).as("bytes the server accepted without reading them")
                .isLessThan(limit);
            long now = System.nanoTime();
            if (n > 0 || stalledSince[0] == 0) {
              stalledSince[0] = now;
              return false;
            }
            return now - stalledSince[0] > TimeUnit.SECONDS.toNanos(1);
          });
      // At most the high-water mark (1 MiB), plus the answers to one batch of reads.
      assertThat(server.pendingWriteBytes()).as("bytes the server holds for the peer")
          .isLessThan(3 << 20);
      assertThat(calc.add(9, 9)).isEqualTo(18); // everyone else is still served
      // The stuck peer must not hold the close up (a 2 s grace for its last frames, then
      // closed), nor keep its socket.
      long closing = System.nanoTime();
      server.close();
      assertThat(Duration.ofNanos(System.nanoTime() - closing)).as("time to close")
          .isLessThan(Duration.ofSeconds(15));
      ch.configureBlocking(true);
      ch.socket().setSoTimeout(10_000);
      assertThat(howItEnds(ch.socket().getInputStream())).isIn("end of stream", "reset");
    }
  }

  /**
   * Reads a socket to its end: "end of stream" or "reset"; anything else fails the test, the
   * server keeping the socket open (a read timeout) first of all.
   *
   * <p>Both ends are correct for a socket the server closed, and which one comes is up to the
   * kernels, not to the server: a socket closed with bytes it has not read (PINGs the server
   * stopped reading when it throttled this peer) ends with a reset, which cuts off the answers
   * still on their way (RFC 2525, 2.17); one closed with nothing unread ends with a FIN after
   * the last of them. How many PINGs the loopback buffers (autotuned, several MiB) take
   * before the sender stalls decides whether the server read them all: in runs on one
   * machine, 4 of 6 ended in a reset after 120 KiB to 2 MiB, 2 cleanly after 4 MiB.
   */
  private static String howItEnds(java.io.InputStream in) throws IOException {
    byte[] sink = new byte[1 << 16];
    try {
      while (in.read(sink) >= 0) {
        // the PONGs it never read, and perhaps the CLOSE
      }
      return "end of stream";
    } catch (java.net.SocketException e) {
      if (e.getMessage() != null && e.getMessage().contains("reset")) {
        return "reset";
      }
      throw e;
    }
  }
}
