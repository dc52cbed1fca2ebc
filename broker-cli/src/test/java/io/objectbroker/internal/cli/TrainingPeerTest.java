package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link TrainingPeer}: a client's blocking connection gets through the handshake and gets,
 * for each call, the answer given for its object and method, typed as the interface says.
 */
class TrainingPeerTest {

  private static KryoCodec codec() {
    KryoCodec codec = new KryoCodec();
    codec.registerRemoteInterface(NameServer.class);
    return codec;
  }

  @Test
  void eachCallGetsTheAnswerForItsObjectAndMethod() {
    List<Registration> regs = List.of(new Registration("a", "OB:a@h:1", Set.of("t")));
    TrainingPeer.Answers answers = (objectId, method, peer) -> switch (method) {
      case "lookup" -> peer.uri("svc");
      case "ping" -> objectId + " answers";
      default -> regs;
    };
    KryoCodec client = codec();
    try (TrainingPeer peer = TrainingPeer.start(codec(), answers);
        BlockingConnection c = BlockingConnection.open(peer.address(),
            Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(10))) {
      assertThat(c.call(client, NameServer.OBJECT_ID, "lookup", new Object[] {"svc"}, 10_000))
          .isEqualTo(Uri.direct("svc", peer.address()).toString());
      assertThat(c.call(client, NameServer.OBJECT_ID, "ping", new Object[0], 10_000))
          .isEqualTo(NameServer.OBJECT_ID + " answers");
      assertThat(c.call(client, "svc", "list", new Object[] {""}, 10_000)).isEqualTo(regs);
    }
  }
}
