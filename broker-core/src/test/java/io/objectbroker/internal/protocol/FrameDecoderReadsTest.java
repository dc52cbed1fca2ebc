package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link FrameDecoder} on a real socket, reading large payloads in place. */
class FrameDecoderReadsTest {

  private EventLoopGroup group;
  private Channel server;
  private final CompletableFuture<FrameDecoder> decoder = new CompletableFuture<>();
  // What the server read: each frame's request id and payload, copied and released.
  private final BlockingQueue<Object[]> frames = new LinkedBlockingQueue<>();

  @BeforeEach
  void listen() {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            FrameDecoder d = new FrameDecoder(Protocol.DEFAULT_MAX_FRAME_BYTES);
            MaxMessagesRecvByteBufAllocator reads = ch.config().getRecvByteBufAllocator();
            ch.config().setRecvByteBufAllocator(d.recvAllocator(reads));
            ch.pipeline().addLast(d, new SimpleChannelInboundHandler<Frame>() {
              @Override
              protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
                frames.add(new Object[] {f.requestId(), ByteBufUtil.getBytes(f.content())});
              }
            });
            decoder.complete(d);
          }
        }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
  }

  @AfterEach
  void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void largePayloadsAreReadInPlaceAndTheFramesBehindThemStayWhole() throws Exception {
    Random random = new Random(5);
    byte[][] payloads = {new byte[3 << 20], "hello".getBytes(), new byte[(1 << 20) + 7],
        new byte[100_000], "bye".getBytes()};
    for (byte[] p : payloads) {
      random.nextBytes(p);
    }
    io.netty.buffer.ByteBuf stream = io.netty.buffer.Unpooled.buffer();
    for (int i = 0; i < payloads.length; i++) {
      FrameEncoder.writeHeader(stream, Protocol.VERSION, Protocol.CALL, 0, i + 1,
          payloads[i].length);
      stream.writeBytes(payloads[i]);
    }
    byte[] bytes = ByteBufUtil.getBytes(stream);
    stream.release();
    try (Socket socket = new Socket()) {
      socket.connect(server.localAddress());
      OutputStream out = socket.getOutputStream();
      // Pieces of odd sizes, so that frames end and start within one read.
      for (int at = 0; at < bytes.length; ) {
        int n = Math.min(bytes.length - at, 10_000 + random.nextInt(300_000));
        out.write(bytes, at, n);
        out.flush();
        at += n;
      }
      for (int i = 0; i < payloads.length; i++) {
        Object[] frame = frames.poll(10, TimeUnit.SECONDS);
        assertThat(frame).as("frame %d", i + 1).isNotNull();
        assertThat(frame[0]).isEqualTo(i + 1);
        assertThat((byte[]) frame[1]).as("payload %d", i + 1).isEqualTo(payloads[i]);
      }
    }
    // Most of the large payloads came straight from the socket, not through a read buffer.
    long large = payloads[0].length + payloads[2].length + payloads[3].length;
    assertThat(decoder.get(1, TimeUnit.SECONDS).bytesReadInPlace()).isGreaterThan(large / 2);
  }

  @Test
  void aLargeFrameCutOffByTheClosedSocketGivesItsBufferBack() throws Exception {
    io.netty.buffer.ByteBuf start = io.netty.buffer.Unpooled.buffer();
    FrameEncoder.writeHeader(start, Protocol.VERSION, Protocol.CALL, 0, 1, 3 << 20);
    start.writeZero(1 << 20);
    byte[] bytes = ByteBufUtil.getBytes(start);
    start.release();
    try (Socket socket = new Socket()) {
      socket.connect(server.localAddress());
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      // The decoder is gathering the payload, reading in place, when the client goes away.
      decoder.get(5, TimeUnit.SECONDS);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
          .until(() -> LargeBuffers.lent() == 1);
    }
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> LargeBuffers.lent() == 0);
    assertThat(frames).isEmpty();
  }
}
