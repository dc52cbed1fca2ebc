package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.objectbroker.Address;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class AddressSerializerTest {

  private final AddressSerializer serializer = new AddressSerializer();

  private Address read(String text) {
    Output out = new Output(256);
    out.writeString(text);
    return serializer.read(new Kryo(), new Input(out.toBytes()), Address.class);
  }

  @Test
  void addressesTravelAsTheirText() {
    for (Address a : new Address[] {new Address("10.0.0.5", 9090), new Address("::1", 1),
        Address.unix(Path.of("/run/ob.sock")), Address.unix(Path.of("ob.sock"))}) {
      Output out = new Output(256);
      serializer.write(new Kryo(), out, a);
      assertThat(new Input(out.toBytes()).readString()).isEqualTo(a.toString());
      assertThat(serializer.read(new Kryo(), new Input(out.toBytes()), Address.class))
          .isEqualTo(a);
    }
  }

  @Test
  void malformedAddressesFromAPeerAreRefused() {
    assertThatThrownBy(() -> read("h:99999"))
        .isInstanceOf(KryoException.class).hasMessageContaining("port: 99999");
    assertThatThrownBy(() -> read("no-port"))
        .isInstanceOf(KryoException.class).hasMessageContaining("address: no-port");
    assertThatThrownBy(() -> read(null))
        .isInstanceOf(KryoException.class).hasMessageContaining("malformed address: null");
  }
}
