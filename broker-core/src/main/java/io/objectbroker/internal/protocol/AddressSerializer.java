package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.objectbroker.Address;

/**
 * An {@link Address} on the wire as its text ({@code host:port} or a socket path), parsed back
 * when read: a peer cannot make this side hold an address that {@link Address#parse} refuses
 * (a port out of range, a host and a path at once, neither), which copying its fields would
 * allow.
 */
final class AddressSerializer extends Serializer<Address> {

  AddressSerializer() {
    super(false, true);
  }

  @Override
  public void write(Kryo kryo, Output output, Address address) {
    output.writeString(address.toString());
  }

  @Override
  public Address read(Kryo kryo, Input input, Class<? extends Address> type) {
    String text = input.readString();
    if (text == null) {
      throw new KryoException("malformed address: null");
    }
    try {
      return Address.parse(text);
    } catch (IllegalArgumentException e) {
      throw new KryoException("malformed " + e.getMessage(), e);
    }
  }
}
